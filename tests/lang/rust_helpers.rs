// Threads the default set "rust" suppresses, as the crates start them: a thread named "ctrl-c"
// (the ctrlc crate's signal thread, waiting for the next Ctrl-C for as long as the process
// lives) and the closure of jobserver::imp::spawn_helper (the jobserver crate's helper thread,
// whose client rustc keeps in a static), both blocked for good at exit; and, with the argument
// "own", a thread of the program's own, which is still reported. Prints "ready" once all wait.
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread;

mod jobserver {
    pub mod imp {
        use std::sync::mpsc::{Receiver, Sender};
        pub fn spawn_helper(rx: Receiver<()>, ready: Sender<()>) {
            std::thread::spawn(move || {
                ready.send(()).unwrap();
                let _ = rx.recv(); // the client is never dropped
            });
        }
    }
}

fn wait_forever(rx: Receiver<()>, ready: Sender<()>) {
    ready.send(()).unwrap();
    let _ = rx.recv();
}

fn main() {
    let (ready_tx, ready_rx) = channel();
    let mut keep = Vec::new();
    let (tx, rx) = channel::<()>();
    keep.push(tx);
    let r = ready_tx.clone();
    thread::Builder::new().name("ctrl-c".into()).spawn(move || wait_forever(rx, r)).unwrap();
    let (tx, rx) = channel::<()>();
    keep.push(tx);
    jobserver::imp::spawn_helper(rx, ready_tx.clone());
    let mut n = 2;
    if std::env::args().nth(1).as_deref() == Some("own") {
        let (tx, rx) = channel::<()>();
        keep.push(tx);
        let r = ready_tx.clone();
        thread::Builder::new().name("own-worker".into()).spawn(move || wait_forever(rx, r)).unwrap();
        n += 1;
    }
    for _ in 0..n {
        ready_rx.recv().unwrap();
    }
    if std::env::args().nth(1).as_deref() == Some("exited") {
        // a thread that returns and is never joined: its handle forgotten, not dropped
        let h = thread::spawn(|| 1);
        while !h.is_finished() {
            thread::sleep(std::time::Duration::from_millis(1));
        }
        std::mem::forget(h);
    }
    println!("ready");
    std::mem::forget(keep); // the senders stay: every thread waits for good
}
