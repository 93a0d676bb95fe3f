//! Turning a handler's panic into a finding.
//!
//! A protocol that panics has a bug; the run that found it must report the
//! seed and write a repro, not take the whole sweep down. While a simulation
//! runs, panics are caught and their message and location recorded quietly;
//! outside simulations the usual panic hook is untouched.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caught {
    pub message: String,
    pub location: Option<String>,
}

impl std::fmt::Display for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{} (at {at})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

/// Runs `f`; a panic inside it comes back as `Err` with its message and
/// location, and prints nothing.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if ACTIVE.with(|a| a.get()) {
                let caught = Caught {
                    message: payload_message(info.payload()),
                    location: info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
                };
                CAUGHT.with(|c| *c.borrow_mut() = Some(caught));
            } else {
                previous(info);
            }
        }));
    });
    let was_active = ACTIVE.with(|a| a.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    ACTIVE.with(|a| a.set(was_active));
    result.map_err(|payload| {
        CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| Caught { message: payload_message(payload.as_ref()), location: None })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn catches_message_and_location() {
        let r: Result<(), _> = super::catch(|| panic!("boom {}", 7));
        let caught = r.unwrap_err();
        assert_eq!(caught.message, "boom 7");
        assert!(caught.location.unwrap().contains("panic.rs"));
        assert_eq!(super::catch(|| 5), Ok(5));
    }
}
