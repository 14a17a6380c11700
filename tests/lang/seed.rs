// The seed in Rust: Go's classic goroutine leak. `sync_channel(0)` is Go's unbuffered channel:
// a sender blocks until its value is taken. submit() spawns 4 senders, takes the first answer
// and returns; the 3 other senders stay blocked in `send` forever (their JoinHandles are
// dropped, so they are detached). Like a Go channel nobody reads any more, the receiver is never
// closed (dropping it would wake the senders with an error). main() calls submit() 5 times:
// 15 leaked threads, and the program itself returns normally (exit status 0).
use std::sync::mpsc::sync_channel;
use std::thread;

fn submit(round: u32) -> u32 {
    let (tx, rx) = sync_channel::<u32>(0);
    for i in 0..4 {
        let tx = tx.clone();
        thread::spawn(move || {
            // blocks forever for all but the first
            let _ = tx.send(round * 10 + i + 1);
        });
    }
    let first = rx.recv().unwrap(); // the first answer wins; nobody reads the others
    std::mem::forget(rx);
    first
}

fn main() {
    let mut sum = 0;
    for round in 0..5 {
        if submit(round) > 0 {
            sum += 1;
        }
    }
    println!("got {} answers", sum);
}
