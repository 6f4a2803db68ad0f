import pkg_resources

# fail fast when the installed dependencies do not match what this app was tested with
pkg_resources.require("kbdemo-core<2")
print("dependencies ok")
