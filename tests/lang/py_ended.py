"""Daemon threads that are alive when the program ends but that CPython (before 3.14) ends
itself while it finalizes, as soon as they want the interpreter back: one that polls every 50 ms
and one that spins. Bare they are gone by the exit check (or during its grace period), and were
never reported; a third waits on a queue, as py_daemon.py's do."""
import queue, threading, time
q = queue.Queue()
def poller():
    while True:
        time.sleep(0.05)
def spinner():
    n = 0
    while True:
        n += 1
def waiter():
    q.get()
for f in (poller, spinner, waiter):
    threading.Thread(target=f, daemon=True, name=f.__name__).start()
time.sleep(0.2)
print("started 3 daemon threads")
