import os
import threading
import time

import psycopg2
from accounts import setup

dsn = os.environ["DATABASE_URL"]
setup(dsn)
a = psycopg2.connect(dsn)
b = psycopg2.connect(dsn)
a.cursor().execute("UPDATE kb_accounts SET balance = balance - 1 WHERE id = 1")
b.cursor().execute("UPDATE kb_accounts SET balance = balance - 1 WHERE id = 2")


def transfer_back():
    # the other transfer locks the same two rows in the opposite order
    time.sleep(0.3)
    b.cursor().execute("UPDATE kb_accounts SET balance = balance + 1 WHERE id = 1")
    b.commit()


threading.Thread(target=transfer_back).start()
a.cursor().execute("UPDATE kb_accounts SET balance = balance + 1 WHERE id = 2")
