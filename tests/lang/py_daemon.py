"""Daemon threads that wait forever on a queue.Queue nobody feeds: Python lets the program exit
with them blocked; threadleak reports them."""
import queue, threading
q = queue.Queue()
def worker(n):
    while True:
        item = q.get()  # waits forever: nobody puts anything
        print(n, item)
for i in range(3):
    threading.Thread(target=worker, args=(i,), daemon=True, name=f"worker-{i}").start()
print("started 3 daemon workers")
