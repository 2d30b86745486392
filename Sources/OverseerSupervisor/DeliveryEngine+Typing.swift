import Foundation
import OverseerDelivery
import OverseerProfiles
import OverseerPTY
import OverseerTerminal

/// Typing one delivery as a person types (DESIGN §4): the text (one bracketed paste when the
/// program enabled it), a settle pause, Enter; then verification from the rendered screen in
/// two steps, *typed* (the text or its paste placeholder appeared) and *submitted* (after
/// Enter the input area no longer holds it), with bounded Enter re-presses. Never retypes.
extension DeliveryEngine {
    /// How a delivery's typing ended.
    enum TypingResult {
        /// The text was not (entirely) written: retry or fail, as the write outcome says.
        case notTyped(WriteOutcome)
        /// The text was written; this is the verdict.
        case typed(Verdict)
    }

    /// What proved the text typed.
    enum TypedProof {
        case screen(ScreenEvidence)
        /// Only the output's byte stream showed it (EchoVerifier), not the screen.
        case echo
    }

    /// After an Enter, the least time the screen is watched before an Enter re-press (a
    /// settle pause of 0 still watches this long, so a program that is slow to redraw is
    /// not sent a second Enter it would take for an empty submission).
    static let minimumSubmitWindow: Duration = .milliseconds(500)
    /// How often the screen is read while waiting, when no output wakes the wait first.
    static let screenPoll: Duration = .milliseconds(50)
    /// After output arrives, the pause that lets a redraw finish before the screen is read.
    static let redrawSettle: Duration = .milliseconds(10)
    /// After a busy agent stopped working, how long the screen is still watched for the text.
    static let afterBusyLook: Duration = .milliseconds(500)

    /// Types `delivery` (already `injecting`) into `live` and reaches its verdict.
    func typeAndVerify(_ delivery: Delivery, live: LiveAgent) async -> TypingResult {
        var typedAny = false
        if delivery.interrupt {
            switch await writeAll([0x1b], to: live.terminal, typedBefore: false) {
            case .complete: typedAny = true
            case let other: return .notTyped(other)
            }
            try? await Task.sleep(for: Self.interruptPause)
        }
        let before = live.screen.snapshot()
        let cursor = live.ring.end // output from here on may prove it typed
        let plan = TypingPlan.make(text: delivery.text, modes: before.modes, profile: live.profile, submitDelayMs: live.submitDelayMs)
        let check = SubmissionCheck(text: delivery.text, profile: live.profile, before: before)
        if !plan.textBytes.isEmpty {
            let outcome = await writeAll(plan.textBytes[...], to: live.terminal, typedBefore: typedAny)
            guard case .complete = outcome else { return .notTyped(outcome) }
        }
        let textWritten = ContinuousClock.now
        await recordInjected(delivery.id, live: live)
        let proof = await awaitTyped(delivery, check: check, live: live, from: cursor)
        if case .screen(let evidence) = proof { await note(delivery.id, DeliveryHistoryEntry.typed, evidence.summary) }
        if case .echo = proof { await note(delivery.id, DeliveryHistoryEntry.typed, "the text was echoed in the output (not seen on the screen)") }
        guard delivery.submit else { return .typed(typedOnlyVerdict(proof, plan: plan)) }

        try? await Task.sleep(until: textWritten + .milliseconds(plan.settleMilliseconds))
        guard case .screen(let typed) = proof else {
            // Nothing on the screen to watch: press Enter once (the text is typed; leaving it
            // unsubmitted helps nobody) and say honestly what could not be seen.
            if let failure = await pressEnter(live) { return .typed(.unverified(failure, verification: nil)) }
            if case .echo = proof {
                return .typed(.unverified("typed (its echo was in the output) but the screen never showed it, so its submission could not be seen", verification: .echo, evidence: Self.echoEvidence))
            }
            let why = plan.textBytes.isEmpty || !check.canVerify
                ? "the text is blank: nothing to see on the screen"
                : "the text did not show on the screen or in the output within \(Self.seconds(settings.deliveryTypedSeconds))"
            return .typed(.unverified(why, verification: .timeoutFallback))
        }
        return .typed(await submit(delivery, typed: typed, check: check, plan: plan, live: live))
    }

    /// Enter, then the screen until the input area no longer holds the text; Enter again
    /// while it does (after waiting for a working agent to stop), at most `enterRetries` times.
    private func submit(_ delivery: Delivery, typed: ScreenEvidence, check: SubmissionCheck, plan: TypingPlan, live: LiveAgent) async -> Verdict {
        let window = max(.milliseconds(plan.settleMilliseconds), Self.minimumSubmitWindow)
        var presses = 0
        while true {
            if let failure = await pressEnter(live) { return .unverified(failure, verification: nil) }
            presses += 1
            if let done = await watchScreen(live, for: window, { check.submitted(on: $0, typed: typed) }) {
                return submitted(delivery.id, done)
            }
            if let done = await watchWhileBusy(delivery.id, live: live, why: "the text is still in the input and the agent is busy", { check.submitted(on: $0, typed: typed) }) {
                return submitted(delivery.id, done)
            }
            let held = check.heldInInput(on: live.screen.snapshot())
            let evidence = (held ?? typed).delivery
            if stopping { return .unverified("the supervisor stopped while the text was still in the input", verification: .screen, evidence: evidence) }
            if !live.terminal.isOpen { return .unverified("the program exited while the text was still in the input", verification: .screen, evidence: evidence) }
            switch plan.next(afterEnterPresses: presses, submitted: false) {
            case .done:
                return submitted(delivery.id, typed)
            case .pressEnterAgain:
                await note(delivery.id, DeliveryHistoryEntry.enterPressedAgain, "the input area still holds the text: Enter again (\(presses) of \(plan.enterRetries) re-presses)")
            case .giveUp(let reason):
                return .unverified(reason, verification: .screen, evidence: evidence)
            }
        }
    }

    private func submitted(_ id: String, _ evidence: ScreenEvidence) -> Verdict {
        .verified(.screen, evidence: evidence.delivery, note: evidence.summary)
    }

    /// `submit: false`: typed is all that was asked.
    private func typedOnlyVerdict(_ proof: TypedProof?, plan: TypingPlan) -> Verdict {
        switch proof {
        case .screen(let evidence): .verified(.screen, evidence: evidence.delivery, note: nil)
        case .echo: .verified(.echo, evidence: Self.echoEvidence, note: nil)
        case nil where plan.textBytes.isEmpty: .unverified("the text is blank: nothing to see on the screen", verification: .timeoutFallback)
        case nil: .unverified("the text did not show on the screen or in the output within \(Self.seconds(settings.deliveryTypedSeconds))", verification: .timeoutFallback)
        }
    }

    static let echoEvidence = DeliveryEvidence(kind: "echo", summary: "the text appeared in the output after the injection began", lines: [])

    /// The screen's proof that the text was typed, within `delivery_typed_seconds` (for a
    /// `working` agent, until it is idle again, bounded by `delivery_idle_seconds`); else the
    /// echo in the output since `cursor`; nil when neither shows it.
    private func awaitTyped(_ delivery: Delivery, check: SubmissionCheck, live: LiveAgent, from cursor: UInt64) async -> TypedProof? {
        guard check.canVerify else { return nil }
        let window = Duration.milliseconds(Int(settings.deliveryTypedSeconds * 1000))
        if let seen = await watchScreen(live, for: window, { check.typed(on: $0) }) { return .screen(seen) }
        // A busy program may show what was typed only once its turn ends.
        let busyTyped = await watchWhileBusy(delivery.id, live: live, why: "the text is not on the screen yet and the agent is busy") { check.typed(on: $0) }
        if let seen = busyTyped { return .screen(seen) }
        if let seen = await watchScreen(live, for: Self.afterBusyLook, { check.typed(on: $0) }) { return .screen(seen) }
        let verifier = EchoVerifier(text: delivery.text)
        guard verifier.canVerify else { return nil }
        var position = cursor
        while true {
            let chunk = live.ring.read(from: position, limit: 1 << 16)
            if verifier.feed(chunk.bytes) { return .echo }
            if chunk.bytes.isEmpty { return nil }
            position = chunk.next
        }
    }

    /// Reads fresh snapshots (after each burst of output, and every `screenPoll`) until `look`
    /// finds something, `duration` passes, `giveUpWhen` says so, or the terminal has closed.
    func watchScreen<Found>(_ live: LiveAgent, for duration: Duration, giveUpWhen: (() -> Bool)? = nil, _ look: (ScreenSnapshot) -> Found?) async -> Found? {
        let deadline = ContinuousClock.now + duration
        var seen = live.ring.end
        while true {
            if let found = look(live.screen.snapshot()) { return found }
            if let giveUpWhen, giveUpWhen() { return nil }
            if live.ring.isClosed, live.ring.end == seen { return nil }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return nil }
            await live.ring.waitForData(after: seen, timeout: min(remaining, Self.screenPoll))
            let end = live.ring.end
            if end != seen {
                seen = end
                try? await Task.sleep(for: Self.redrawSettle)
            }
        }
    }

    /// Writes Enter; nil when it was taken, else why not.
    private func pressEnter(_ live: LiveAgent) async -> String? {
        switch await writeAll(TypingPlan.enter[...], to: live.terminal, typedBefore: true) {
        case .complete: nil
        case .nothingTyped(let reason), .partial(let reason): "the text was typed but Enter could not be: \(reason)"
        }
    }
}

extension ScreenEvidence {
    /// As the store keeps it.
    var delivery: DeliveryEvidence {
        DeliveryEvidence(kind: kind.rawValue, summary: summary, lines: lines)
    }
}
