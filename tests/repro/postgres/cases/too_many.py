import os

import psycopg2

# every worker opens its own connection and never gives it back
connections = []
for _worker in range(20):
    connections.append(psycopg2.connect(os.environ["DATABASE_URL"]))
