//! The call log on its own thread, so the window never waits on disk.
//!
//! The window sends [`Request`]s and, once per frame, drains the [`Event`]s; the worker wakes it
//! with the `wake` callback (egui's `request_repaint`) after each one. An entry is reported
//! [`Event::Saved`] only after its transaction is committed.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::{Call, CallLog, NewCall};
use lamppost_core::words::{Message, Words};

/// What the window asks of the log.
#[derive(Debug, Clone)]
pub enum Request {
    /// Record a confirmed call. `ticket` comes back in the answer.
    Append {
        /// The caller's number for this request.
        ticket: u64,
        /// The call.
        call: NewCall,
    },
    /// Add an incident type and note to a saved call.
    Annotate {
        /// The call's id.
        id: i64,
        /// Who.
        operator: String,
        /// Incident type.
        incident_type: String,
        /// Note.
        note: String,
    },
    /// Send today's calls again.
    Today,
}

/// What the log answers.
#[derive(Debug, Clone)]
pub enum Event {
    /// The call `ticket` is on disk as `call`.
    Saved {
        /// The request's ticket.
        ticket: u64,
        /// The entry as stored.
        call: Call,
    },
    /// The call `ticket` could not be saved (it stays in the window to retry).
    Failed {
        /// The request's ticket.
        ticket: u64,
        /// Why, for the call-taker.
        error: Message,
    },
    /// An annotation was saved.
    Annotated(Call),
    /// Today's calls, newest first.
    Today(Vec<Call>),
    /// Something else failed (opening the file, listing, annotating).
    Error(Message),
}

/// The handle the window keeps: a sender of requests and a receiver of events.
pub struct LogWorker {
    requests: Sender<Request>,
    events: Receiver<Event>,
    path: PathBuf,
}

impl std::fmt::Debug for LogWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWorker")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LogWorker {
    /// Starts the worker thread on the call log at `path` (created when missing). It opens the
    /// file itself and answers with today's calls, so this returns at once.
    pub fn spawn(path: PathBuf, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (requests, inbox) = channel::<Request>();
        let (outbox, events) = channel::<Event>();
        let thread_path = path.clone();
        std::thread::Builder::new()
            .name("call-log".into())
            .spawn(move || serve(&thread_path, &inbox, &outbox, &wake))?;
        let _ = requests.send(Request::Today);
        Ok(Self {
            requests,
            events,
            path,
        })
    }

    /// The call log file.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Sends a request; false when the worker has stopped (it only stops if it panicked).
    #[must_use = "false means the request was not sent"]
    pub fn send(&self, request: Request) -> bool {
        self.requests.send(request).is_ok()
    }

    /// The next event, if one is waiting.
    #[must_use]
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event (tests and the command line).
    #[must_use]
    pub fn wait_event(&self, timeout: std::time::Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

fn serve(
    path: &std::path::Path,
    inbox: &Receiver<Request>,
    outbox: &Sender<Event>,
    wake: &dyn Fn(),
) {
    let mut log: Option<CallLog> = None;
    let send = |e: Event| {
        let _ = outbox.send(e);
        wake();
    };
    while let Ok(request) = inbox.recv() {
        // (Re)open on demand: a log on a share that was missing may come back.
        if log.is_none() {
            match CallLog::open(path) {
                Ok(l) => log = Some(l),
                Err(e) => {
                    let error = e.message();
                    send(match request {
                        Request::Append { ticket, .. } => Event::Failed { ticket, error },
                        Request::Annotate { .. } | Request::Today => Event::Error(error),
                    });
                    continue;
                }
            }
        }
        let Some(l) = log.as_mut() else { continue };
        match request {
            Request::Append { ticket, call } => match l.append(&call) {
                Ok(call) => send(Event::Saved { ticket, call }),
                Err(e) => send(Event::Failed {
                    ticket,
                    error: e.message(),
                }),
            },
            Request::Annotate {
                id,
                operator,
                incident_type,
                note,
            } => match l.annotate(id, &operator, &incident_type, &note) {
                Ok(call) => send(Event::Annotated(call)),
                Err(e) => send(Event::Error(e.message())),
            },
            Request::Today => match l.today() {
                Ok(calls) => send(Event::Today(calls)),
                Err(e) => send(Event::Error(e.message())),
            },
        }
    }
}
