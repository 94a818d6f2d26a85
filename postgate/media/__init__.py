"""Images: what a file really is, its metadata removed, where its bytes live, and the text
Tesseract reads in it. The services (``postgate.services.media``) decide who may do what."""
