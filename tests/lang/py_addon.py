"""A Python program that joins its own threads but loads a native library (ctypes) that starts a
thread and leaks it: only the library's thread is reported."""
import ctypes
import sys
import threading

lib = ctypes.CDLL(sys.argv[1])
t = threading.Thread(target=lambda: None)
t.start()
t.join()
print("addon_start:", lib.addon_start())
