import os
import time

import psycopg

conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
conn.execute("SET idle_session_timeout = '300ms'")
time.sleep(1)  # a pooled connection waits for the next request
conn.execute("SELECT 1")
