import os

import redis

admin = redis.Redis.from_url(os.environ["REDIS_URL"])
admin.client_pause(2000)  # the server stops answering for 2 s (like a slow command or a fork)

r = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=0.5)
r.get("session:42")
