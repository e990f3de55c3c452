//! A short-lived, in-process cache of who a token's subject is (user row and organization)
//! and whether the token's session is still open.
//!
//! Every authenticated request needs them; reading them from the database each time made
//! `/api/v1/me` ten times slower than the HTTP stack. Entries live [`TTL`]; this process
//! drops an entry as soon as it changes it (role change, deactivation, sign-out, refresh
//! token reuse), so the change is immediate here and reaches other replicas within [`TTL`].

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
    /// Session id → (when checked, its user, whether it is open).
    sessions: Mutex<HashMap<Uuid, (Instant, Uuid, bool)>>,
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

    /// Drops the user and every session of theirs.
    pub fn invalidate(&self, user_id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&user_id);
        }
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.retain(|_, (_, user, _)| *user != user_id);
        }
    }

    /// `Some(open)` when the session was checked less than [`TTL`] ago.
    pub fn session_open(&self, sid: Uuid) -> Option<bool> {
        let sessions = self.sessions.lock().ok()?;
        sessions.get(&sid).filter(|(at, _, _)| at.elapsed() < TTL).map(|(_, _, open)| *open)
    }

    pub fn put_session(&self, sid: Uuid, user_id: Uuid, open: bool) {
        if let Ok(mut sessions) = self.sessions.lock() {
            if sessions.len() >= MAX_ENTRIES {
                sessions.clear();
            }
            sessions.insert(sid, (Instant::now(), user_id, open));
        }
    }

    pub fn invalidate_session(&self, sid: Uuid) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&sid);
        }
    }
}
