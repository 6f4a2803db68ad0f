import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"])
with conn.cursor() as cur:
    cur.execute("SELECT 1")
# the cursor was closed when the with-block ended
cur.execute("SELECT 2")
