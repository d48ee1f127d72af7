# Varnish in front of gunicorn (Varnish 6 / 7, Debian's `varnish` package).
#
# Caches anonymous GET and HEAD for as long as the app's `Cache-Control: s-maxage` says (the
# app sends `public, max-age=0, s-maxage=N, stale-while-revalidate=M` for anonymous readers and
# `private` for signed-in ones); passes every request that carries a session or messages
# cookie or an Authorization header, and the form pages. One copy per scheme (vcl_hash). The
# app purges on commit after publish, correction, retraction and
# source or author changes (stories.frontend_cache.VarnishBackend): a BAN whose X-Ban-Url
# header is a regular expression over paths; PURGE of one URL works too (it drops the copy of
# the scheme its X-Forwarded-Proto names, see vcl_hash). Both only from the
# `purgers` ACL, and only on the `purge` listener: readers reach Varnish through nginx, so on
# the readers' port every request comes from nginx's address (127.0.0.1 on one host, in the
# ACL), and a reader's BAN would pass the ACL. Never point nginx at the purge port.
#
#   varnishd -a :6081 -a purge=127.0.0.1:6082 -f /etc/varnish/default.vcl -s malloc,256m
#   NEWSROOM_FRONTEND_CACHE_URL=http://127.0.0.1:6082   (in the app's environment)
#
# The backend address is replaced by the integration test (tests/integration/test_varnish.py).
vcl 4.1;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Who may PURGE and BAN: the app servers. Add their addresses.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if ((req.method == "PURGE" || req.method == "BAN")
            && (local.socket != "purge" || !client.ip ~ purgers)) {
        return (synth(403, "Not allowed"));
    }
    if (req.method == "PURGE") {
        return (purge);
    }
    if (req.method == "BAN") {
        if (!req.http.X-Ban-Url && !req.http.X-Ban-Tags) {
            return (synth(400, "X-Ban-Url or X-Ban-Tags required"));
        }
        # On obj.* only, so the ban lurker can clear matching objects in the background:
        # by path (X-Ban-Url), or by the surrogate keys the app labels answers with
        # (X-Ban-Tags: every story page citing a source, whatever their number).
        if (req.http.X-Ban-Url) {
            ban("obj.http.X-Url ~ " + req.http.X-Ban-Url);
        }
        if (req.http.X-Ban-Tags) {
            ban("obj.http.Surrogate-Key ~ " + req.http.X-Ban-Tags);
        }
        return (synth(200, "Banned"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Signed-in users, and anyone with a message waiting (Django's messages cookie), go to the
    # app every time. A CSRF cookie alone does not: a reader who once opened the report form
    # still shares the cached pages (they hold no form token).
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # The pages with a form (a report, the digest, the admin's sign-in) are private, and go to
    # the app with the reader's cookies: it answers with a token matching the CSRF cookie the
    # reader has, so a form opened earlier in another tab still submits (dropped, the cookie
    # was replaced by a new one on every such page).
    if (req.url ~ "^/(admin/|digest/|stories/[^/?]+/report/)") {
        return (pass);
    }
    # Other cookies (analytics and the like) do not change the page: drop them, so every
    # anonymous reader shares one copy (the app answers `Vary: Cookie`).
    unset req.http.Cookie;
    return (hash);
}

sub vcl_hash {
    # The app answers each scheme nginx reports (X-Forwarded-Proto) its own way: absolute links
    # (canonical, JSON-LD, share links) and, with SSL redirect on, a redirect to HTTPS that an
    # HTTPS reader would follow round in a loop. One copy per scheme; Varnish's built-in
    # vcl_hash adds the URL and host after this.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    # A refresh in the background (the stale copy is served meanwhile, for at most
    # stale-while-revalidate) that fails keeps that copy: readers go on reading the page, not
    # an error kept for everyone. Bans and purges drop stale copies too, so none outlives them.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # Remember the path for bans (stories.frontend_cache bans by path, every host).
    set beresp.http.X-Url = bereq.url;
    # A page that sets a cookie, or is private, is never shared (Varnish's built-in rules
    # also refuse these; stated here so a later edit cannot forget it).
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(?i)private|no-store|no-cache") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Varnish takes the TTL from s-maxage (before max-age) and the grace from
    # stale-while-revalidate; a PURGE or BAN drops graced copies too.
    if (beresp.http.Cache-Control !~ "s-maxage") {
        # Errors and pages without an explicit lifetime are kept briefly at most.
        set beresp.ttl = 10s;
    }
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.X-Url;
    unset resp.http.Surrogate-Key;
    # Age and X-Varnish tell a hit (two ids) from a miss (one id).
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
