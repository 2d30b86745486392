import Hummingbird
import OverseerSupervisor
import OverseerWire

/// `GET /v1/agents/{name}/screen[?scrollback=N][&format=text|json]`: the agent's rendered
/// screen. Text (the default, `text/plain; charset=utf-8`) is what `tmux capture-pane -p`
/// prints: up to N scrollback lines, then the visible lines, trailing blank lines dropped, one
/// final newline. JSON is a `ScreenView` (cursor, title, alternate screen, modes).
struct ScreenRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        router.get("v1/agents/:name/screen") { request, context in try await screen(request, context) }
    }

    func screen(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let agent: String = try context.parameters.require("name")
        let query = request.uri.queryParameters
        let format = try Self.format(query, allowed: ["text", "json"]) ?? "text"
        var scrollback = 0
        if let raw = query.get("scrollback") {
            guard let value = Int(String(raw)), value >= 0 else {
                throw APIError.badRequest("query parameter scrollback=\(raw) is not a whole number of lines (0 or more)", field: "scrollback")
            }
            scrollback = value
        }
        let lines = scrollback
        let view = try await calling { () async throws(SupervisorError) in try await supervisor.screen(of: agent, scrollback: lines) }
        return format == "json" ? try JSONResponse.make(view) : Self.plainText(view.text)
    }

    /// `?format=`, refused with a 400 naming it unless one of `allowed`; nil when absent.
    static func format(_ query: Parameters, allowed: [String]) throws -> String? {
        guard let raw = query.get("format") else { return nil }
        let format = String(raw)
        guard allowed.contains(format) else {
            throw APIError.badRequest("query parameter format=\(format) is not one of \(allowed.joined(separator: ", "))", field: "format")
        }
        return format
    }

    static func plainText(_ text: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
