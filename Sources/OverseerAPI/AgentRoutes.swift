import Foundation
import HTTPTypes
import Hummingbird
import OverseerPTY
import OverseerSupervisor

/// The `/v1/agents` endpoints: spawn, list, inspect, input, output, resize, release.
struct AgentRoutes {
    let manager: AgentManager

    func register(on router: Router<OverseerRequestContext>) {
        let agents = router.group("v1/agents")
        agents.post { request, context in try await spawn(request, context) }
        agents.get { _, _ in try JSONResponse.make(AgentList(agents: manager.list())) }
        agents.get(":name") { _, context in
            let agent = try name(context)
            let info = try await callManager { () async throws(AgentError) in try await manager.info(name: agent, withTree: true) }
            return try JSONResponse.make(info)
        }
        agents.post(":name/input") { request, context in try await input(request, context) }
        agents.get(":name/output") { request, context in try await output(request, context) }
        agents.post(":name/resize") { request, context in
            let body = try await JSONResponse.decode(ResizeRequest.self, from: request, context: context)
            let agent = try name(context)
            try await callManager { () async throws(AgentError) in try manager.resize(name: agent, rows: body.rows, cols: body.cols) }
            return try JSONResponse.make(body)
        }
        agents.post(":name/release") { _, context in
            let agent = try name(context)
            let result = try await callManager { () async throws(AgentError) in try await manager.release(name: agent) }
            return try JSONResponse.make(result)
        }
    }

    func name(_ context: OverseerRequestContext) throws -> String {
        try context.parameters.require("name")
    }


    func spawn(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let body = try await JSONResponse.decode(SpawnRequest.self, from: request, context: context)
        if body.argv.isEmpty { throw APIError.badRequest("argv must name a program to run", field: "argv") }
        if let cwd = body.cwd, !cwd.hasPrefix("/") { throw APIError.badRequest("cwd must be an absolute path", field: "cwd") }
        let info = try await callManager { () async throws(AgentError) in try await manager.spawn(body) }
        return try JSONResponse.make(info, status: .created)
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
        let count = bytes.count
        try await callManager { () async throws(AgentError) in try await manager.write(name: agent, bytes: bytes) }
        return try JSONResponse.make(InputResult(agent: agent, bytes: count))
    }

    /// `?cursor=N` (default 0: the oldest byte held), `?limit=N` (default 1 MiB), `?wait=S`
    /// (long-poll up to S seconds, at most 30, for output past the cursor), `?format=raw`.
    func output(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let agent = try name(context)
        let query = request.uri.queryParameters
        let cursor = try queryNumber(query, "cursor", as: UInt64.self) ?? 0
        let limit = Int(try queryNumber(query, "limit", as: UInt64.self) ?? UInt64(1 << 20))
        let wait = try queryNumber(query, "wait", as: Double.self) ?? 0
        if wait > 0 {
            let seconds = min(wait, 30)
            try await callManager { () async throws(AgentError) in
                try await manager.waitForOutput(name: agent, after: cursor, timeout: .milliseconds(Int(seconds * 1000)))
            }
        }
        let chunk = try await callManager { () async throws(AgentError) in try manager.output(name: agent, cursor: cursor, limit: max(limit, 1)) }
        if query.get("format") == "raw" {
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[HTTPField.Name("Overseer-Start")!] = "\(chunk.start)"
            headers[HTTPField.Name("Overseer-Next-Cursor")!] = "\(chunk.next)"
            headers[HTTPField.Name("Overseer-Dropped")!] = "\(chunk.dropped)"
            headers[HTTPField.Name("Overseer-Closed")!] = chunk.closed ? "true" : "false"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: chunk.bytes)))
        }
        return try JSONResponse.make(OutputResponse(
            cursor: cursor, start: chunk.start, next: chunk.next, dropped: chunk.dropped, closed: chunk.closed,
            data: Data(chunk.bytes).base64EncodedString(), text: String(decoding: chunk.bytes, as: UTF8.self)
        ))
    }

    func queryNumber<T: LosslessStringConvertible>(_ query: Parameters, _ key: String, as: T.Type) throws -> T? {
        guard let raw = query.get(key) else { return nil }
        guard let value = T(String(raw)) else { throw APIError.badRequest("query parameter \(key)=\(raw) is not a valid number", field: key) }
        return value
    }
}
