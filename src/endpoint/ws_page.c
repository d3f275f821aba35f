/*
 * The built-in page served at / until a visualizer replaces it. The
 * security headers forbid inline scripts and styles, so the style sheet is
 * its own asset; a visualizer would add its .js files the same way.
 */
#include "endpoint/ws_priv.h"

static const char index_html[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>peerscope</title>\n"
    "<link rel=\"stylesheet\" href=\"/peerscope.css\">\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "<h1>peerscope</h1>\n"
    "<p>This port belongs to a peer-to-peer host that shows what it is doing, live, through\n"
    "peerscope.</p>\n"
    "<p>Its WebSocket (by default at <code>/introspect</code>) speaks the libp2p introspection\n"
    "protocol of 2020 with peerscope's extensions: every message is a 12-byte header and a\n"
    "protobuf <code>ServerMessage</code>; clients send <code>ClientCommand</code> messages,\n"
    "starting with HELLO. Point a visualizer such as the observer-toolkit, or\n"
    "<code>peerscope-top</code> / <code>peerscope-dump</code>, at it.</p>\n"
    "<p>If the host set an access token, add it as <code>?token=&hellip;</code> to the\n"
    "WebSocket URL, or send it as <code>Authorization: Bearer &hellip;</code>.</p>\n"
    "<p>Health: <a href=\"/healthz\">/healthz</a>.</p>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n";

static const char style_css[] =
    "body { font-family: system-ui, sans-serif; margin: 0; background: #f7f7f5; color: #222; }\n"
    "main { max-width: 44rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }\n"
    "code { background: #ecece8; padding: 0 0.25rem; border-radius: 3px; }\n";

const psc_ws_asset psc__ws_builtin_assets[] = {
    {"/", "text/html; charset=utf-8", (const uint8_t *)index_html, sizeof index_html - 1},
    {"/index.html", "text/html; charset=utf-8", (const uint8_t *)index_html, sizeof index_html - 1},
    {"/peerscope.css", "text/css; charset=utf-8", (const uint8_t *)style_css, sizeof style_css - 1},
};
const size_t psc__ws_builtin_asset_count = sizeof psc__ws_builtin_assets / sizeof psc__ws_builtin_assets[0];
