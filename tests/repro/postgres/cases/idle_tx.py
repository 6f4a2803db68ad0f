import os
import time

import psycopg

conn = psycopg.connect(os.environ["DATABASE_URL"])
conn.execute("SET idle_in_transaction_session_timeout = '300ms'")
conn.execute("SELECT 1")  # opens a transaction that is never committed
time.sleep(1)  # e.g. a slow HTTP call while the transaction is open
conn.execute("SELECT 1")
