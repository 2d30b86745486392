import Foundation
import HTTPTypes
import Hummingbird
import OverseerSupervisor
import OverseerWire

/// The `/v1/agents` endpoints: spawn, list, inspect, input, output, resize, release.
struct AgentRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        let agents = router.group("v1/agents")
        agents.post { request, context in try await spawn(request, context) }
        agents.get { _, _ in try JSONResponse.make(AgentList(agents: await supervisor.agents())) }
        agents.get(":name") { _, context in
            let agent = try name(context)
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.agent(named: agent) })
        }
        agents.post(":name/input") { request, context in try await input(request, context) }
        agents.get(":name/output") { request, context in try await output(request, context) }
        agents.post(":name/resize") { request, context in
            let body = try await JSONResponse.decode(ResizeRequest.self, from: request, context: context)
            let agent = try name(context)
            try await calling { () async throws(SupervisorError) in try await supervisor.resize(agent, rows: body.rows, cols: body.cols) }
            return try JSONResponse.make(body)
        }
        agents.post(":name/release") { _, context in
            let agent = try name(context)
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.release(agent) })
        }
    }

    func name(_ context: OverseerRequestContext) throws -> String {
        try context.parameters.require("name")
    }

    func spawn(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let body = try await JSONResponse.decode(SpawnRequest.self, from: request, context: context)
        if body.argv.isEmpty { throw APIError.badRequest("argv must name a program to run", field: "argv") }
        if let cwd = body.cwd, !cwd.hasPrefix("/") { throw APIError.badRequest("cwd must be an absolute path", field: "cwd") }
        let agent = try await calling { () async throws(SupervisorError) in try await supervisor.spawn(body) }
        return try JSONResponse.make(agent, status: .created)
    }

    func input(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let agent = try name(context)
        let body = try await JSONResponse.decode(InputRequest.self, from: request, context: context)
        var bytes: [UInt8]
        switch (body.text, body.base64) {
        case (let text?, nil): bytes = Array(text.utf8)
        case (nil, let encoded?):
            guard let data = Data(base64Encoded: encoded) else { throw APIError.badRequest("base64 is not valid base64", field: "base64") }
            bytes = Array(data)
        case (nil, nil): throw APIError.badRequest("give the input as \"text\" or \"base64\"", field: "text")
        default: throw APIError.badRequest("give either \"text\" or \"base64\", not both", field: "base64")
        }
        if body.enter == true { bytes.append(0x0D) }
        if bytes.isEmpty { throw APIError.badRequest("input is empty", field: "text") }
        let input = bytes
        try await calling { () async throws(SupervisorError) in try await supervisor.writeInput(input, to: agent) }
        return try JSONResponse.make(InputResult(agent: agent, bytes: input.count))
    }

    /// `?cursor=N` (default 0: the oldest byte held), `?limit=N` (default 1 MiB), `?wait=S`
    /// (long-poll up to S seconds, at most 30, for output past the cursor), `?format=raw|json`,
    /// or `?format=plain` (see `plainOutput`).
    func output(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let agent = try name(context)
        let query = request.uri.queryParameters
        let format = try ScreenRoutes.format(query, allowed: ["json", "raw", "plain"]) ?? "json"
        let cursor = try queryNumber(query, "cursor", as: UInt64.self) ?? 0
        if format == "plain" { return try await plainOutput(agent, query, from: cursor) }
        let limit = Int(try queryNumber(query, "limit", as: UInt64.self) ?? UInt64(1 << 20))
        let wait = try queryNumber(query, "wait", as: Double.self) ?? 0
        let longPoll: Duration? = wait > 0 ? .milliseconds(Int(min(wait, 30) * 1000)) : nil
        let slice = try await calling { () async throws(SupervisorError) in
            try await supervisor.readOutput(of: agent, from: cursor, limit: max(limit, 1), wait: longPoll)
        }
        if format == "raw" {
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[HTTPField.Name(RawOutputHeader.start)!] = "\(slice.start)"
            headers[HTTPField.Name(RawOutputHeader.nextCursor)!] = "\(slice.next)"
            headers[HTTPField.Name(RawOutputHeader.dropped)!] = "\(slice.dropped)"
            headers[HTTPField.Name(RawOutputHeader.closed)!] = slice.closed ? "true" : "false"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: slice.bytes)))
        }
        return try JSONResponse.make(OutputResponse(
            cursor: cursor, start: slice.start, next: slice.next, dropped: slice.dropped, closed: slice.closed,
            data: Data(slice.bytes).base64EncodedString(), text: String(decoding: slice.bytes, as: UTF8.self)
        ))
    }

    /// `?format=plain`: the output from `cursor` (default: all the ring holds; `?limit=N` bytes
    /// at most) rendered at the agent's terminal size into the lines a person would have seen,
    /// one per line, escape sequences rendered away; the raw form's headers say which bytes.
    /// No `wait`: a rendered line is only final once it scrolls off the screen, so a long poll
    /// could not answer honestly.
    func plainOutput(_ agent: String, _ query: Parameters, from cursor: UInt64) async throws -> Response {
        if query.get("wait") != nil {
            throw APIError.badRequest("format=plain renders the output held now and cannot wait for more: drop wait, or use format=raw", field: "wait")
        }
        let limit = Int(clamping: try queryNumber(query, "limit", as: UInt64.self) ?? UInt64(Int.max))
        let plain = try await calling { () async throws(SupervisorError) in
            try await supervisor.plainOutput(of: agent, from: cursor, limit: max(limit, 1))
        }
        var headers = HTTPFields()
        headers[HTTPField.Name(RawOutputHeader.start)!] = "\(plain.start)"
        headers[HTTPField.Name(RawOutputHeader.nextCursor)!] = "\(plain.next)"
        headers[HTTPField.Name(RawOutputHeader.dropped)!] = "\(plain.dropped)"
        headers[HTTPField.Name(RawOutputHeader.closed)!] = plain.closed ? "true" : "false"
        return ScreenRoutes.plainText(plain.lines.map { $0 + "\n" }.joined(), headers: headers)
    }

    func queryNumber<T: LosslessStringConvertible>(_ query: Parameters, _ key: String, as: T.Type) throws -> T? {
        guard let raw = query.get(key) else { return nil }
        guard let value = T(String(raw)) else { throw APIError.badRequest("query parameter \(key)=\(raw) is not a valid number", field: key) }
        return value
    }
}
