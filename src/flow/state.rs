//! [`AuthFlowState`] and the shared status a running flow and `cancel()`
//! meet on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Where a sign-in is, with the waiting and exchanging steps told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFlowState {
    /// No sign-in has run yet.
    Idle,
    /// The browser was sent to the provider; waiting for the redirect.
    WaitingForCallback,
    /// The callback arrived; exchanging the code and fetching user info.
    Exchanging,
    /// The last sign-in succeeded.
    Completed,
    /// The last sign-in failed (provider error, forged response, exchange
    /// failure).
    Failed,
    /// The last sign-in was cancelled.
    Cancelled,
    /// The last sign-in timed out.
    TimedOut,
}

impl AuthFlowState {
    /// The lowercase name (`"waiting_for_callback"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthFlowState::Idle => "idle",
            AuthFlowState::WaitingForCallback => "waiting_for_callback",
            AuthFlowState::Exchanging => "exchanging",
            AuthFlowState::Completed => "completed",
            AuthFlowState::Failed => "failed",
            AuthFlowState::Cancelled => "cancelled",
            AuthFlowState::TimedOut => "timed_out",
        }
    }

    /// Whether a sign-in is under way.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            AuthFlowState::WaitingForCallback | AuthFlowState::Exchanging
        )
    }
}

/// State plus a cancel flag, shared between the thread running the flow
/// and any thread calling `cancel()`.
#[derive(Debug)]
pub(crate) struct FlowStatus {
    state: Mutex<AuthFlowState>,
    cancelled: AtomicBool,
}

impl FlowStatus {
    pub(crate) fn new() -> Self {
        FlowStatus {
            state: Mutex::new(AuthFlowState::Idle),
            cancelled: AtomicBool::new(false),
        }
    }

    pub(crate) fn get(&self) -> AuthFlowState {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set(&self, s: AuthFlowState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// Moves to `WaitingForCallback` unless a flow is already running.
    pub(crate) fn try_start(&self) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.is_running() {
            return false;
        }
        self.cancelled.store(false, Ordering::SeqCst);
        *st = AuthFlowState::WaitingForCallback;
        true
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}
