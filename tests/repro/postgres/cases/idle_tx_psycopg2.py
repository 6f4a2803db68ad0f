import os
import time

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"], sslmode="disable")
cur = conn.cursor()
cur.execute("SET idle_in_transaction_session_timeout = '300ms'")
cur.execute("SELECT 1")
time.sleep(1)
cur.execute("SELECT 1")
