"""OAuth connect and token refresh: how Postgate obtains and keeps each platform's tokens.

:mod:`.providers` describes each platform's authorization server as data (URLs, scopes,
PKCE, how tokens refresh, which page or organisation the consent leads to), :mod:`.pkce`
makes the proof key, :mod:`.apps` reads the app's id and secret from the settings, and
:mod:`.client` speaks to the authorization servers. The flows themselves (state bound to the
admin's session, the account made or reconnected, the refresh job) are services:
:mod:`postgate.services.oauth_connect` and :mod:`postgate.services.token_refresh`.
"""
