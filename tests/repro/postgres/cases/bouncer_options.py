import os

import psycopg2

conn = psycopg2.connect(os.environ["DATABASE_URL"], options="-c statement_timeout=5000")
