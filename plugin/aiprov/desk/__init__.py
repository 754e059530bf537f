"""`aiprov serve`: the review and approval desk, a local web app over the ledger.

app.py builds the Starlette app (pages, the JSON API, server-sent status); auth.py holds who
may do what (argon2 passwords, hashed API tokens, CSRF tokens, the sign-in rate limit);
accounts.py is `aiprov users`; pages.py shapes the ledger's answers into what a page shows;
lineage.py draws an asset's lineage as SVG; thumbnails.py makes and caches previews.
"""
