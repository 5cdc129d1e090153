//! Trying an operation again after a pause that doubles, up to a cap,
//! until a deadline: the one back-off of the library. Waiting for a
//! network key lock (`store::lease::wait_for_lock`: 2 ms doubling to
//! 50 ms) and saving refreshed tokens while the store is unavailable
//! (`SessionManager`: 50 ms doubling to 500 ms) both run it.
//!
//! The rule: after a failed attempt, give up if the deadline has passed;
//! otherwise pause (never past the deadline, so the last attempt comes at
//! the deadline) and try again, the next pause twice as long up to the cap.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// The bounds of one back-off: the first pause, the longest pause, and
/// the moment after which no attempt starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    deadline: Instant,
}

impl Backoff {
    /// Pauses of `first`, doubling up to `cap`, until `deadline`.
    pub(crate) fn new(first: Duration, cap: Duration, deadline: Instant) -> Backoff {
        Backoff {
            first,
            cap,
            deadline,
        }
    }

    /// Calls `attempt` until it breaks (`ControlFlow::Break(r)`: `Ok(r)`)
    /// or the deadline has passed after an attempt that asked to go on
    /// (`ControlFlow::Continue(e)`: `Err(e)`, the last such value).
    /// `pausing` is told each pause and why, before the thread sleeps.
    pub(crate) fn retry<R, E>(
        &self,
        attempt: impl FnMut() -> ControlFlow<R, E>,
        pausing: impl FnMut(&E, Duration),
    ) -> Result<R, E> {
        self.retry_with(Instant::now, std::thread::sleep, attempt, pausing)
    }

    /// [`Backoff::retry`] with the clock and the sleep given (the tests
    /// run it on a clock that only the sleep moves).
    fn retry_with<R, E>(
        &self,
        mut now: impl FnMut() -> Instant,
        mut sleep: impl FnMut(Duration),
        mut attempt: impl FnMut() -> ControlFlow<R, E>,
        mut pausing: impl FnMut(&E, Duration),
    ) -> Result<R, E> {
        let mut pause = self.first;
        loop {
            let why = match attempt() {
                ControlFlow::Break(r) => return Ok(r),
                ControlFlow::Continue(why) => why,
            };
            let now = now();
            if now >= self.deadline {
                return Err(why);
            }
            let this = pause.min(self.deadline - now);
            pausing(&why, this);
            sleep(this);
            pause = pause.saturating_mul(2).min(self.cap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Runs `backoff` (deadline `start + window`) on a clock that only
    /// the pauses move, each attempt taking `cost` of the clock; the
    /// attempt `succeeds_at` (counted from 1) breaks. Returns the pauses
    /// told to `pausing`, the pauses slept, the attempts and the outcome.
    fn run(
        first: u64,
        cap: u64,
        window: u64,
        cost: u64,
        succeeds_at: Option<usize>,
    ) -> (Vec<Duration>, Vec<Duration>, usize, Result<usize, usize>) {
        let start = Instant::now();
        let clock = Cell::new(start);
        let backoff = Backoff::new(ms(first), ms(cap), start + ms(window));
        let attempts = Cell::new(0);
        let mut told = Vec::new();
        let mut slept = Vec::new();
        let outcome = backoff.retry_with(
            || clock.get(),
            |d| {
                slept.push(d);
                clock.set(clock.get() + d);
            },
            || {
                attempts.set(attempts.get() + 1);
                clock.set(clock.get() + ms(cost));
                if Some(attempts.get()) == succeeds_at {
                    ControlFlow::Break(attempts.get())
                } else {
                    ControlFlow::Continue(attempts.get())
                }
            },
            |why, d| {
                assert_eq!(*why, attempts.get(), "told why: the attempt just failed");
                told.push(d);
            },
        );
        (told, slept, attempts.get(), outcome)
    }

    #[test]
    fn a_first_success_never_pauses() {
        let (told, slept, attempts, outcome) = run(2, 50, 1000, 0, Some(1));
        assert!(told.is_empty() && slept.is_empty());
        assert_eq!((attempts, outcome), (1, Ok(1)));
    }

    #[test]
    fn pauses_double_up_to_the_cap() {
        // the lock's bounds: 2 ms doubling to 50 ms
        let (_, slept, attempts, outcome) = run(2, 50, 10_000, 0, Some(9));
        let want: Vec<_> = [2, 4, 8, 16, 32, 50, 50, 50].map(ms).to_vec();
        assert_eq!(slept, want);
        assert_eq!((attempts, outcome), (9, Ok(9)));
        // the refreshed tokens' bounds: 50 ms doubling to 500 ms
        let (_, slept, _, _) = run(50, 500, 60_000, 0, Some(7));
        assert_eq!(slept, [50, 100, 200, 400, 500, 500].map(ms).to_vec());
    }

    #[test]
    fn the_last_pause_ends_at_the_deadline_then_one_last_attempt() {
        // 2+4+8+16+32 = 62 ms slept, 38 ms left: the next pause (50 ms)
        // is cut to 38, the attempt after it comes at exactly the
        // deadline, and then the back-off gives up
        let (told, slept, attempts, outcome) = run(2, 50, 100, 0, None);
        assert_eq!(slept, [2, 4, 8, 16, 32, 38].map(ms).to_vec());
        assert_eq!(told, slept, "each pause is told before it is slept");
        assert_eq!(slept.iter().sum::<Duration>(), ms(100));
        assert_eq!(
            (attempts, outcome),
            (7, Err(7)),
            "the last failure is returned"
        );
    }

    #[test]
    fn the_time_attempts_take_counts_against_the_deadline() {
        // each attempt costs 30 ms of a 100 ms window: 30 | 50 pause | 30
        // (110 ms > deadline): give up after the second attempt
        let (_, slept, attempts, outcome) = run(50, 500, 100, 30, None);
        assert_eq!(slept, vec![ms(50)]);
        assert_eq!((attempts, outcome), (2, Err(2)));
    }

    #[test]
    fn a_deadline_already_passed_allows_exactly_one_attempt() {
        let (told, slept, attempts, outcome) = run(2, 50, 0, 0, None);
        assert!(told.is_empty() && slept.is_empty());
        assert_eq!((attempts, outcome), (1, Err(1)));
    }

    #[test]
    fn a_huge_cap_does_not_overflow_the_doubling() {
        let start = Instant::now();
        let clock = Cell::new(start);
        let backoff = Backoff::new(Duration::MAX, Duration::MAX, start + ms(10));
        let mut slept = Vec::new();
        let outcome: Result<(), ()> = backoff.retry_with(
            || clock.get(),
            |d| {
                slept.push(d);
                clock.set(clock.get() + d);
            },
            || ControlFlow::Continue(()),
            |_, _| {},
        );
        assert_eq!(outcome, Err(()));
        assert_eq!(slept, vec![ms(10)], "cut to the deadline");
    }
}
