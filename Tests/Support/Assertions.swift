import XCTest

/// Asserts that `body` throws exactly `expected` (compared with `==`); fails when it returns,
/// or throws an error of another type or value. Name the error type at the call site:
/// `assertThrows(DeliveryError.notFound(id: "x")) { try store.markInjected(id: "x") }`.
public func assertThrows<T, E: Error & Equatable>(
    _ expected: E, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> T
) {
    do {
        let value = try body()
        XCTFail("expected \(expected), got \(value) \(message())", file: file, line: line)
    } catch {
        XCTAssertEqual(error as? E, expected, "wrong error: \(error) \(message())", file: file, line: line)
    }
}

/// `assertThrows` for an async `body`.
public func assertThrowsAsync<T, E: Error & Equatable>(
    _ expected: E, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line,
    _ body: () async throws -> T
) async {
    do {
        let value = try await body()
        XCTFail("expected \(expected), got \(value) \(message())", file: file, line: line)
    } catch {
        XCTAssertEqual(error as? E, expected, "wrong error: \(error) \(message())", file: file, line: line)
    }
}

/// The error of type `E` that `body` throws, for matching a case with associated values;
/// fails (and returns nil) when it returns or throws something else.
public func thrownError<T, E: Error>(
    _ type: E.Type, file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> T
) -> E? {
    do {
        let value = try body()
        XCTFail("expected a \(E.self), got \(value)", file: file, line: line)
    } catch let error as E {
        return error
    } catch {
        XCTFail("expected a \(E.self), got \(error)", file: file, line: line)
    }
    return nil
}
