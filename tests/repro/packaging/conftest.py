# projects/ holds deliberately broken mini-projects run in subprocesses (including their own
# tests/ directories), never collected by the outer pytest run
collect_ignore = ["projects"]
