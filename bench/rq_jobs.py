"""RQ's no-op job: a plain function in a module that imports nothing.

RQ's default worker forks a work horse per job, and the horse imports the job's module. Were the
job in ``bench.noop_jobs`` (which registers our job and so imports our whole job stack), every RQ
job would pay that import (about half a second) and the comparison would flatter us.
"""


def noop() -> None:
    return None
