//! A circuit breaker per provider: it opens after consecutive failures,
//! refuses requests while open, lets one trial request through once the
//! cooldown has passed (half-open), and closes when that trial succeeds.
//! Every change of state is set on the `aigateway_circuit_breaker_state`
//! gauge while the breaker's lock is held, so the gauge never shows a stale
//! state.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use aigateway_metrics::{CircuitState, GatewayMetrics, Provider};

pub struct Breaker {
    provider: String,
    threshold: u32,
    cooldown: Duration,
    /// `None` when the gateway records nothing.
    metrics: Option<GatewayMetrics>,
    inner: Mutex<Inner>,
}

struct Inner {
    state: CircuitState,
    failures: u32,
    opened_at: Instant,
    trial_in_flight: bool,
}

/// Leave to call a provider. Say how the call went with `success` or
/// `failure`; a permit dropped without either (a cancelled request) frees
/// the trial slot without changing the state.
pub struct Permit<'a> {
    breaker: &'a Breaker,
    trial: bool,
    decided: bool,
}

impl Breaker {
    pub fn new(
        provider: &str,
        threshold: u32,
        cooldown: Duration,
        metrics: Option<GatewayMetrics>,
    ) -> Breaker {
        let breaker = Breaker {
            provider: provider.to_owned(),
            threshold,
            cooldown,
            metrics,
            inner: Mutex::new(Inner {
                state: CircuitState::Closed,
                failures: 0,
                opened_at: Instant::now(),
                trial_in_flight: false,
            }),
        };
        // Healthy providers show as closed from the start.
        breaker.publish(CircuitState::Closed);
        breaker
    }

    /// A permit, or `None` while the breaker refuses calls.
    pub fn acquire(&self) -> Option<Permit<'_>> {
        let mut inner = self.inner.lock().unwrap();
        let trial = match inner.state {
            CircuitState::Closed => false,
            CircuitState::Open if inner.opened_at.elapsed() >= self.cooldown => {
                self.set(&mut inner, CircuitState::HalfOpen);
                inner.trial_in_flight = true;
                true
            }
            CircuitState::HalfOpen if !inner.trial_in_flight => {
                inner.trial_in_flight = true;
                true
            }
            CircuitState::Open | CircuitState::HalfOpen => return None,
        };
        Some(Permit {
            breaker: self,
            trial,
            decided: false,
        })
    }

    fn set(&self, inner: &mut Inner, state: CircuitState) {
        inner.state = state;
        self.publish(state);
    }

    fn publish(&self, state: CircuitState) {
        if let Some(metrics) = &self.metrics {
            metrics.set_circuit_breaker_state(Provider(&self.provider), state);
        }
    }
}

impl Permit<'_> {
    pub fn success(mut self) {
        self.decided = true;
        let mut inner = self.breaker.inner.lock().unwrap();
        inner.failures = 0;
        if self.trial {
            inner.trial_in_flight = false;
        }
        if inner.state != CircuitState::Closed {
            self.breaker.set(&mut inner, CircuitState::Closed);
        }
    }

    pub fn failure(mut self) {
        self.decided = true;
        let mut inner = self.breaker.inner.lock().unwrap();
        inner.failures += 1;
        if self.trial {
            inner.trial_in_flight = false;
        }
        let trips = self.trial
            || (inner.state == CircuitState::Closed && inner.failures >= self.breaker.threshold);
        if trips {
            inner.opened_at = Instant::now();
            self.breaker.set(&mut inner, CircuitState::Open);
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.decided {
            self.breaker.inner.lock().unwrap().trial_in_flight = false;
        }
    }
}
