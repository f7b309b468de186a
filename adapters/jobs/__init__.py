"""The job system: the developer API (``manager``), the outbox and its tables' SQL (``outbox``,
``new_jobs``, ``rows``, ``records``, ``status_recorder``), the Dramatiq broker and its status middleware
(``broker``, ``status_middleware``), the scheduler with its leader lock and the outbox relay
(``scheduler``, ``leader``, ``relay``, ``dispatch_store``) and the operators' reads (``admin``,
``queue_reader``, ``queue_overview``). It imports no other adapter package.
"""
