from tasks import resize_video

resize_video.delay(3)
print("sent")
