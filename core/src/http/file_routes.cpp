// Uploads into a conversation (visitor or agent) and downloads by capability URL. The upload body is the raw
// file; its name comes in X-File-Name (or ?name=), its type in Content-Type. A message then names the file.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "pipeline/files.hpp"
#include "widgets/widget_config_cache.hpp"

#include <Poco/File.h>
#include <Poco/String.h>

#include <fstream>
#include <sstream>

namespace parley::core {
namespace {

JsonObject upload(RequestContext& ctx, const Conversation& c, long long limit, const std::string& by) {
    if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
    std::string name = ctx.request.get("X-File-Name", ctx.query("name").value_or(""));
    checkFileName(name);  // name and type before reading the body
    fileType(ctx.request.getContentType());
    const std::string& bytes = ctx.bodyUpTo(std::min(limit, kFileHardLimit));
    std::string type = checkFile(name, ctx.request.getContentType(), bytes, limit);
    StoredFile f = storeFile(ctx.app, c, name, type, bytes, by);
    JsonObject out = jsonObject();
    out->set("file", f.toJson(ctx.app));
    return out;
}

}  // namespace

void registerFileRoutes(Router& router) {
    router.add("POST", "/api/v1/widgets/{key}/conversations/{conversation_id}/files", Guard::public_api,
               [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        JsonObject features = widget->widget.config ? widget->widget.config->getObject("features") : nullptr;
        if (features && !features->optValue<bool>("file_upload_enabled", true))
            throw forbidden("this widget does not accept files");
        ctx.sendJson(201, upload(ctx, c, widgetFileLimit(widget->widget.config), "visitor"));
    });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/files", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        ctx.sendJson(201, upload(ctx, c, kFileHardLimit, ctx.principal().user_id));
    });
    router.add("GET", "/api/v1/files/{file_id}/{token}", Guard::public_api, [](RequestContext& ctx) {
        auto f = findFileByToken(ctx.app, Poco::toLower(ctx.param("file_id")), ctx.param("token"));
        if (!f) throw ApiError(404, "file_not_found", "no such file (or the link is wrong)");
        std::ifstream in(f->path(ctx.app), std::ios::binary);
        if (!in) throw ApiError(410, "file_gone", "the file's bytes are no longer on this server");
        std::ostringstream data;
        data << in.rdbuf();
        // Never rendered as a page by the browser: images inline, everything else as a download.
        bool image = f->content_type.rfind("image/", 0) == 0;
        ctx.response.set("X-Content-Type-Options", "nosniff");
        ctx.response.set("Content-Security-Policy", "default-src 'none'; sandbox");
        ctx.response.set("Cache-Control", "private, max-age=86400, immutable");
        std::string safe_name = f->name;
        for (char& ch : safe_name)
            if (ch == '"' || static_cast<unsigned char>(ch) < 0x20) ch = '_';
        ctx.response.set("Content-Disposition", std::string(image ? "inline" : "attachment") + "; filename=\"" + safe_name + "\"");
        ctx.sendRaw(200, f->content_type, data.str());
    });
}

}  // namespace parley::core
