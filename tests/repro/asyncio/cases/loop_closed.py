import asyncio


class Client:
    def __init__(self):
        self.loop = asyncio.new_event_loop()

    def fetch(self):
        return self.loop.run_until_complete(asyncio.sleep(0, "ok"))

    def close(self):
        self.loop.close()


client = Client()
print(client.fetch())
client.close()
print(client.fetch())
