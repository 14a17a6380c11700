"""Python threads the right way: workers joined, a ThreadPoolExecutor, asyncio.to_thread; the
output is deterministic."""
import asyncio
import concurrent.futures
import queue
import threading

q = queue.Queue()
results = []
lock = threading.Lock()

def worker():
    while True:
        item = q.get()
        if item is None:
            return
        with lock:
            results.append(item * item)

workers = [threading.Thread(target=worker, name=f"worker-{i}") for i in range(4)]
for t in workers:
    t.start()
for i in range(100):
    q.put(i)
for _ in workers:
    q.put(None)
for t in workers:
    t.join()
print("queue workers:", sum(results))

with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
    print("executor:", sum(ex.map(lambda x: x * 2, range(50))))

async def main():
    r = await asyncio.gather(*(asyncio.to_thread(pow, 2, i) for i in range(8)))
    print("asyncio.to_thread:", sum(r))

asyncio.run(main())
