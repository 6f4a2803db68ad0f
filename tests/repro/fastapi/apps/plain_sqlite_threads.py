# Near miss for the FastAPI SQLite cause: a sqlite3 connection shared with a plain thread.
import sqlite3
import threading

conn = sqlite3.connect("plain.db")


def worker():
    conn.execute("select 1")


t = threading.Thread(target=worker)
t.start()
t.join()
