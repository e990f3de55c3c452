//! How many assessments a second `scoring::score` handles on one thread.
//!
//! ```text
//! cargo run --release -p kensa-domain --example score_throughput [-- ROUNDS]
//! ```
//!
//! Scores 10,000 seeded random answer sets (random target level, each item implemented,
//! partial, not implemented, not applicable or unanswered) against the built-in JAMA/JAPIA
//! check sheet, ROUNDS times (default 20), with one `ScoringPlan` built beforehand as the API
//! would cache it. Only a release build gives a meaningful figure, to compare with the design
//! target of 20,000 assessments a second per core.

use std::hint::black_box;
use std::time::Instant;

use kensa_domain::scoring::{ScoringPlan, score};
use kensa_domain::templates::AnswerStatus;
use kensa_domain::templates::catalog::builtin_documents;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ANSWER_SETS: usize = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(20);
    let docs = builtin_documents()?;
    let doc = docs.first().ok_or("no built-in template")?;
    let content = doc.content();

    let started = Instant::now();
    let plan = ScoringPlan::new(&content, &doc.answer_scale);
    let plan_time = started.elapsed();

    let numbers: Vec<u32> = content.items().map(|(_, _, item)| item.no).collect();
    let mut rng = StdRng::seed_from_u64(20_251_001);
    let sets: Vec<(u8, Vec<(u32, AnswerStatus)>)> = (0..ANSWER_SETS)
        .map(|_| {
            let target = rng.random_range(1..=3);
            // Index 4 is past `ALL`: the item stays unanswered.
            let answers = numbers
                .iter()
                .filter_map(|&no| AnswerStatus::ALL.get(rng.random_range(0..5)).map(|s| (no, *s)))
                .collect();
            (target, answers)
        })
        .collect();

    // One untimed round, so that the timed ones do not pay for first-touch page faults.
    let mut checksum = 0.0;
    for (target, answers) in &sets {
        checksum += score(&plan, *target, answers.iter().copied()).overall.unwrap_or(0.0);
    }

    let started = Instant::now();
    for _ in 0..rounds {
        for (target, answers) in &sets {
            let s = score(&plan, black_box(*target), black_box(answers).iter().copied());
            checksum += black_box(s).overall.unwrap_or(0.0);
        }
    }
    let elapsed = started.elapsed();

    let scored = f64::from(rounds) * ANSWER_SETS as f64;
    let per_second = scored / elapsed.as_secs_f64();
    println!(
        "template: {} items, {} categories; plan built in {plan_time:?}",
        plan.item_count(),
        content.categories.len()
    );
    println!("scored {scored} assessments in {elapsed:.3?} on one thread");
    println!("{per_second:.0} assessments/s ({:.2} µs each)", 1e6 / per_second);
    println!("checksum {checksum:.3} (keeps the work observable)");
    if cfg!(debug_assertions) {
        println!("debug build: not representative, run with --release");
    }
    Ok(())
}
