//! A short-lived, in-process cache of who a token's subject is (user row and organization).
//!
//! Every authenticated request needs them; reading them from the database each time made
//! `/api/v1/me` ten times slower than the HTTP stack. Entries live [`TTL`]; this process
//! drops an entry as soon as it changes that user (role change, deactivation), so the
//! change is immediate here and reaches other replicas within [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::users::Me;

pub const TTL: Duration = Duration::from_secs(5);
/// Past this many entries the cache starts over, which bounds memory under token floods.
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct PrincipalCache {
    entries: Mutex<HashMap<Uuid, (Instant, Arc<Me>)>>,
}

impl PrincipalCache {
    pub fn get(&self, user_id: Uuid) -> Option<Arc<Me>> {
        let entries = self.entries.lock().ok()?;
        entries.get(&user_id).filter(|(at, _)| at.elapsed() < TTL).map(|(_, me)| me.clone())
    }

    pub fn put(&self, me: Arc<Me>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(me.user.id, (Instant::now(), me));
        }
    }

    pub fn invalidate(&self, user_id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&user_id);
        }
    }
}
