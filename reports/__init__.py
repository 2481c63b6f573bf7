"""The director's reports: what the impact page shows, as a PDF for the Conseil départemental and an Excel file.

`contenu` computes the figures once for an account (through `indicators.disclosure.service`),
`cache_page` caches its parts for the pages, `figures` builds the charts shared
by the page and the PDF, `textes` the French wording, `pdf` and `excel` write
the files, `fonts` finds the TrueType font the PDF embeds.
"""
