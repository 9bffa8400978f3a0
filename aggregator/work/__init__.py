"""The roles a process can run, meeting only in the database.

``fetching`` leases due sources and stores their new pages as pending; ``extracting`` claims
pending pages, cleans them and stores each verdict with the article's features;
``stories`` holds the single story-writer lease and gives pending articles their stories.
Any number of processes may run any of them against one PostgreSQL database; on SQLite one
process runs them all.
"""
