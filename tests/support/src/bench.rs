//! What the benches share beyond the tests' servers and fakes: the thread
//! CPU clock and the interleaved comparison of a subject with its bare
//! reference (re-exported at the crate root: `support::interleaved`).

/// This thread's CPU time in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`),
/// which other processes taking the CPU away do not inflate.
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to the pointer given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The best round of each side, in nanoseconds of thread CPU per call.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// The code under test.
    pub subject: f64,
    /// The bare reference it is held against.
    pub reference: f64,
}

impl Pair {
    /// The subject's speed as a percentage of the reference's.
    pub fn percent(&self) -> f64 {
        100.0 * self.reference / self.subject
    }
}

/// Rounds of `per_round` calls of `subject` and of `reference` take turns
/// (`rounds` of each), each round timed in this thread's CPU time; the
/// fastest round of each side counts, so load that comes and goes during
/// the run favours neither.
pub fn interleaved(
    rounds: usize,
    per_round: u32,
    mut subject: impl FnMut(),
    mut reference: impl FnMut(),
) -> Pair {
    let mut best = Pair {
        subject: f64::MAX,
        reference: f64::MAX,
    };
    let time = |f: &mut dyn FnMut()| {
        let t = thread_cpu_ns();
        for _ in 0..per_round {
            f();
        }
        (thread_cpu_ns() - t) as f64 / f64::from(per_round)
    };
    for _ in 0..rounds {
        best.subject = best.subject.min(time(&mut subject));
        best.reference = best.reference.min(time(&mut reference));
    }
    best
}
