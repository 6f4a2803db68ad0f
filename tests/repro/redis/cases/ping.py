import os

import redis

r = redis.Redis.from_url(os.environ["REDIS_URL"], password=os.environ.get("REDIS_PASSWORD"))
r.ping()
