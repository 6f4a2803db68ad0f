import os

import psycopg2
from accounts import setup
from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ

dsn = os.environ["DATABASE_URL"]
setup(dsn)
a = psycopg2.connect(dsn)
a.set_isolation_level(ISOLATION_LEVEL_REPEATABLE_READ)
cur = a.cursor()
cur.execute("SELECT balance FROM kb_accounts WHERE id = 1")  # snapshot taken here

b = psycopg2.connect(dsn)
b.cursor().execute("UPDATE kb_accounts SET balance = balance + 5 WHERE id = 1")
b.commit()  # a concurrent transaction changes the row and commits

cur.execute("UPDATE kb_accounts SET balance = balance - 1 WHERE id = 1")
