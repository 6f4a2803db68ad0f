import os
import socket

import psycopg2

# Something accepts the TCP connection but never speaks the PostgreSQL protocol:
# a hung server, a stuck proxy, or a full listen backlog.
blackhole = socket.create_server(("127.0.0.1", 0))
port = blackhole.getsockname()[1]
conn = psycopg2.connect(os.environ["DATABASE_URL"], port=port, connect_timeout=1)
