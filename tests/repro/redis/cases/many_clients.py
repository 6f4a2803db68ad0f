import os

import redis

# every worker process opens its own client; the server allows only a few connections
clients = []
for _worker in range(5):
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.ping()
    clients.append(client)
