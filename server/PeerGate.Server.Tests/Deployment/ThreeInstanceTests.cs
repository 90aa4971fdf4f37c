using System.Net;
using System.Text.Json;
using PeerGate.Protocol;
using PeerGate.Protocol.Host.Admin;
using PeerGate.Server.Testing;

namespace PeerGate.Server.Tests.Deployment;

/// <summary>
/// The guarantees of one server, kept by three instances on one PostgreSQL database with devices spread
/// over them (<see cref="ThreeInstances"/>): one-time values stay single-use, a query reaches a callee
/// polling elsewhere and its reply reaches the query, a newer poll supersedes an older one anywhere, a
/// disable holds everywhere, an operator's end reaches both devices once, and a kill -9 of an instance
/// under a stream of triggers through the balancer loses and repeats nothing acknowledged. Every
/// delivery must come within <see cref="ThreeInstances.Prompt"/> of its cause, well inside the poll's
/// wait, so a wake-up that never crossed instances cannot pass for one. Runs in the PostgreSQL pass.
/// </summary>
[TestClass]
public sealed class ThreeInstanceTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AChallengeFromOneInstanceIsAnsweredAtAnotherAndCannotBeReplayedAtAny()
    {
        await using var deployment = await ThreeInstances.StartAsync();
        var deviceId = TestDevice.NewDeviceId();
        var enrolled = await deployment.Admin(1).EnrollDeviceAsync(deviceId);
        var device = new TestDevice(deviceId, Convert.FromHexString(enrolled.KeyHex));

        var challenge = await device.ChallengeAsync(deployment.Client(1));
        using (var proved = await device.SendProofAsync(deployment.Client(2), challenge))
        {
            var certificate = await TestDevice.ReadAsync<CertificateResponse>(proved);

            // One signing key and issuer: the certificate instance 2 issued is good at the other two.
            foreach (var n in new[] { 3, 1 })
            {
                using var registered = await TestDevice.SendRegistrationAsync(deployment.Client(n), certificate.Certificate, Devices.Registration(certificate.TerminalId));
                Assert.AreEqual(HttpStatusCode.OK, registered.StatusCode, $"instance {n}: {await registered.Content.ReadAsStringAsync()}");
            }
        }

        using (var replayed = await device.SendProofAsync(deployment.Client(3), challenge))
        {
            await ProblemAssert.IsProblemAsync(replayed, HttpStatusCode.Unauthorized, ErrorCodes.NonceUsed);
        }

        // One proof at every instance and the balancer at once: exactly one of them spends the challenge.
        var raced = await device.ChallengeAsync(deployment.Client(3));
        var proof = device.Prove(raced);
        var answers = await Task.WhenAll(new[] { deployment.Client(1), deployment.Client(2), deployment.Client(3), deployment.Balanced }
            .Select(http => device.SendProofAsync(http, raced, proof)));
        try
        {
            Assert.AreEqual(1, answers.Count(answer => answer.StatusCode == HttpStatusCode.OK), "exactly one proof wins");
            foreach (var refused in answers.Where(answer => answer.StatusCode != HttpStatusCode.OK))
            {
                await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.NonceUsed);
            }
        }
        finally
        {
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ACalleePollingAtOneInstanceIsQueriedFromASecondAndItsReplyToAThirdGrantsTheCaller()
    {
        await using var deployment = await ThreeInstances.StartAsync();
        var callee = await deployment.RegisterAsync(1, 1);
        var caller = await deployment.RegisterAsync(2, 2);
        await TestDevice.PermitAsync(deployment.Client(1), callee.Token, PermitKinds.Terminal, caller.TerminalId);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        var polling = ThreeInstances.PollAsync(deployment.Client(1), callee.Token, 0, stop.Token);
        await deployment.UntilHoldingAsync(1, 0);

        var connecting = ConnectAsync(deployment.Client(2), caller, callee);
        using var polled = await WithinPromptAsync(polling, "the status query asked at instance 2 reaches the poll at instance 1");
        var query = (await TestDevice.ReadAsync<TriggerBatch>(polled)).Triggers.Single();
        Assert.AreEqual(TriggerKinds.StatusQuery, query.Kind);

        using var replied = await WithinPromptAsync(TestDevice.ReplyToTriggerAsync(deployment.Client(3), callee.Token, TestDevice.Reply(query.Seq)), "instance 3 takes the reply");
        Assert.AreEqual(HttpStatusCode.OK, replied.StatusCode, await replied.Content.ReadAsStringAsync());
        var offer = (await TestDevice.ReadAsync<TriggerReplyAnswer>(replied)).Offer;

        using var granted = await WithinPromptAsync(connecting, "the caller at instance 2 is answered");
        Assert.AreEqual(HttpStatusCode.OK, granted.StatusCode, await granted.Content.ReadAsStringAsync());
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);
        Assert.AreEqual(TriggerKinds.SessionOffer, offer.Kind);
        Assert.AreEqual(query.SessionId, grant.SessionId);
        Assert.AreEqual(grant.SessionId, offer.SessionId);
        Assert.AreEqual(grant.Key, offer.Key, "both sides hold the one session's key");
        Assert.AreEqual(caller.TerminalId, offer.PeerTerminalId);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ASecondPollAtAnotherInstanceSupersedesTheFirst()
    {
        await using var deployment = await ThreeInstances.StartAsync();
        var device = await deployment.RegisterAsync(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);

        var first = ThreeInstances.PollAsync(deployment.Client(1), device.Token, 0, stop.Token);
        await deployment.UntilHoldingAsync(1, 0);
        var second = ThreeInstances.PollAsync(deployment.Client(2), device.Token, 0, stop.Token);
        await deployment.UntilHoldingAsync(2, 0);

        using var superseded = await WithinPromptAsync(first, "the first poll, at instance 1, is answered");
        await ProblemAssert.IsProblemAsync(superseded, HttpStatusCode.Conflict, ErrorCodes.PollerSuperseded);
        Assert.IsFalse(second.IsCompleted, "the second poll still waits");
        Assert.AreEqual(1L, await deployment.PollsHeldAsync(2));
        Assert.AreEqual(0L, await deployment.PollsHeldAsync(1));
        await stop.CancelAsync();
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task DisablingADeviceAtOneInstanceEndsItsPollAtASecondAndRefusesItAtAThird()
    {
        await using var deployment = await ThreeInstances.StartAsync();
        var device = await deployment.RegisterAsync(1, 1);

        // Instance 3 has checked the certificate already, so a copy it keeps in memory would still admit it.
        using (var before = await TestDevice.SendRegistrationAsync(deployment.Client(3), device.Token, Devices.Registration(device.TerminalId)))
        {
            Assert.AreEqual(HttpStatusCode.OK, before.StatusCode, await before.Content.ReadAsStringAsync());
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        var polling = ThreeInstances.PollAsync(deployment.Client(2), device.Token, 0, stop.Token);
        await deployment.UntilHoldingAsync(2, 0);

        await deployment.Admin(1).DisableDeviceAsync(device.DeviceId);
        var disabledAt = DateTime.UtcNow;
        using var ended = await WithinPromptAsync(polling, "the poll at instance 2 ends");
        await ProblemAssert.IsProblemAsync(ended, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);

        // Instance 3 refuses within the same bound, and then every request: a write and a poll.
        while (true)
        {
            using var registering = await TestDevice.SendRegistrationAsync(deployment.Client(3), device.Token, Devices.Registration(device.TerminalId));
            if (registering.StatusCode != HttpStatusCode.OK)
            {
                await ProblemAssert.IsProblemAsync(registering, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
                break;
            }

            Assert.IsLessThan(ThreeInstances.Prompt, DateTime.UtcNow - disabledAt, "instance 3 still takes the disabled device's registrations");
            await Task.Delay(50);
        }

        using var pollAtThird = await WithinPromptAsync(ThreeInstances.PollAsync(deployment.Client(3), device.Token, 0, stop.Token), "instance 3 answers the poll");
        await ProblemAssert.IsProblemAsync(pollAtThird, HttpStatusCode.Forbidden, ErrorCodes.DeviceDisabled);
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task AnOperatorEndingASessionAtAThirdInstanceTellsBothDevicesOnce()
    {
        await using var deployment = await ThreeInstances.StartAsync();
        var callee = await deployment.RegisterAsync(1, 1);
        var caller = await deployment.RegisterAsync(2, 2);
        await TestDevice.PermitAsync(deployment.Client(1), callee.Token, PermitKinds.Terminal, caller.TerminalId);

        // The session is made at instance 1 alone: what is under test is its end.
        var (sessionId, calleeCursor) = await SessionAtOneInstanceAsync(deployment, 1, callee, caller, 0, TestContext.CancellationToken);
        var calleeLine = new DeviceLine(deployment.Client(1), callee.Token, calleeCursor);
        var callerLine = new DeviceLine(deployment.Client(2), caller.Token);
        try
        {
            await deployment.UntilHoldingAsync(1, 0);
            await deployment.UntilHoldingAsync(2, 0);

            var terminated = await deployment.Admin(3).TerminateSessionAsync(sessionId);
            Assert.AreEqual(SessionStates.Terminated, terminated.State);
            var toCallee = await calleeLine.NextAsync(TriggerKinds.SessionEnd);
            var toCaller = await callerLine.NextAsync(TriggerKinds.SessionEnd);
            Assert.AreEqual(sessionId, toCallee.Trigger.SessionId);
            Assert.AreEqual(sessionId, toCaller.Trigger.SessionId);
            Assert.AreEqual(caller.TerminalId, toCallee.Trigger.PeerTerminalId);
            Assert.AreEqual(callee.TerminalId, toCaller.Trigger.PeerTerminalId);
        }
        finally
        {
            await calleeLine.DisposeAsync();
            await callerLine.DisposeAsync();
        }

        // Once: nothing more came, and nothing more waits past the cursors, asked at other instances.
        foreach (var (line, device, at) in new[] { (calleeLine, callee, 3), (callerLine, caller, 1) })
        {
            var later = new List<Trigger>();
            while (line.Arrivals.TryRead(out var arrival))
            {
                later.Add(arrival.Trigger);
            }

            using var rest = await ThreeInstances.PollAsync(deployment.Client(at), device.Token, line.Cursor, TimeSpan.FromSeconds(1), TestContext.CancellationToken);
            later.AddRange((await TestDevice.ReadAsync<TriggerBatch>(rest)).Triggers);
            Assert.IsFalse(later.Any(trigger => trigger.Kind == TriggerKinds.SessionEnd), $"{device.TerminalId} got the session end again");
        }

        var session = (await deployment.Admin(2).ListSessionsAsync()).Single(s => s.SessionId == sessionId);
        Assert.AreEqual(SessionStates.Terminated, session.State);
        Assert.AreEqual("operator", session.EndedBy);
    }

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public async Task KillingAnInstanceMidStreamLosesAndRepeatsNoAcknowledgedTrigger()
    {
        const int Sessions = 24;
        const int KillAt = 8;
        await using var deployment = await ThreeInstances.StartAsync();
        var callee = await deployment.RegisterAsync(1, 1);
        var caller = await deployment.RegisterAsync(1, 1);
        await TestDevice.PermitAsync(deployment.Client(1), callee.Token, PermitKinds.Terminal, caller.TerminalId);

        // The sessions whose ends make the stream, made at instance 1 alone.
        var sessions = new List<string>();
        long cursor = 0;
        for (var i = 0; i < Sessions; i++)
        {
            var (sessionId, next) = await SessionAtOneInstanceAsync(deployment, 1, callee, caller, cursor, TestContext.CancellationToken);
            sessions.Add(sessionId);
            cursor = next;
        }

        // The callee streams through the balancer while the operator ends the sessions at every instance in turn.
        var acknowledged = new Dictionary<string, DateTime>();
        var line = new DeviceLine(deployment.Balanced, callee.Token, cursor, ridesOutFailures: true);
        var arrivals = new List<Arrival>();
        var killed = false;
        var killedAfter = 0;
        try
        {
            for (var i = 0; i < Sessions; i++)
            {
                if (!killed && i >= KillAt && await HoldsTheIdlePollAsync(deployment, line, i, 2))
                {
                    deployment.Kill(2);
                    killed = true;
                    killedAfter = i;
                }

                var at = (i % 3) + 1;
                if (at == 2 && killed)
                {
                    at = 3;
                }

                acknowledged[sessions[i]] = await TerminateAsync(deployment, at, sessions[i]);
                await Task.Delay(100, TestContext.CancellationToken);
            }

            // Every acknowledged end within the prompt bound of its acknowledgement, then a moment for any repeat.
            var deadline = acknowledged.Values.Max() + ThreeInstances.Prompt;
            var ended = new HashSet<string>();
            while (ended.Count < Sessions && deadline - DateTime.UtcNow is { Ticks: > 0 } left)
            {
                using var wait = new CancellationTokenSource(left);
                try
                {
                    var arrival = await line.Arrivals.ReadAsync(wait.Token);
                    arrivals.Add(arrival);
                    if (arrival.Trigger.Kind == TriggerKinds.SessionEnd)
                    {
                        ended.Add(arrival.Trigger.SessionId!);
                    }
                }
                catch (OperationCanceledException) when (!TestContext.CancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    break;
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.CancellationToken);
        }
        finally
        {
            await line.DisposeAsync();
        }

        while (line.Arrivals.TryRead(out var late))
        {
            arrivals.Add(late);
        }

        // What waits past the device's cursor, read at an instance that lived.
        using (var rest = await ThreeInstances.PollAsync(deployment.Client(3), callee.Token, line.Cursor, TimeSpan.FromSeconds(1), TestContext.CancellationToken))
        {
            arrivals.AddRange((await TestDevice.ReadAsync<TriggerBatch>(rest)).Triggers.Select(trigger => new Arrival(trigger, DateTime.UtcNow)));
        }

        var ends = arrivals.Where(a => a.Trigger.Kind == TriggerKinds.SessionEnd).ToList();
        TestContext.WriteLine($"instance 2 killed holding the device's poll after {killedAfter} ends; {acknowledged.Count} ends acknowledged, {ends.Count} delivered, {line.Retries} polls the device had to send again; slowest {ends.Select(a => (a.At - acknowledged.GetValueOrDefault(a.Trigger.SessionId!, a.At)).TotalMilliseconds).DefaultIfEmpty().Max():F0} ms after its acknowledgement");
        Assert.IsTrue(killed, "instance 2 never held the device's poll, so it was not killed");
        Assert.IsNull(line.StoppedBecause, "the line stopped: " + line.StoppedBecause);
        Assert.AreEqual(arrivals.Count, arrivals.Select(a => a.Trigger.Seq).Distinct().Count(), "a trigger number came twice");
        foreach (var (sessionId, at) in acknowledged)
        {
            var mine = ends.Where(a => a.Trigger.SessionId == sessionId).ToList();
            Assert.HasCount(1, mine, $"session {sessionId}: its end came {mine.Count} times");
            Assert.IsLessThan(ThreeInstances.Prompt, mine[0].At - at, $"session {sessionId}: its end came {(mine[0].At - at).TotalSeconds:F1} s after the operator's was acknowledged");
        }

        var stored = (await deployment.Admin(3).ListSessionsAsync()).Where(s => sessions.Contains(s.SessionId)).ToList();
        Assert.HasCount(Sessions, stored);
        Assert.IsTrue(stored.All(s => s.State == SessionStates.Terminated), "a session the operator ended is not ended");
    }

    /// <summary>
    /// Whether instance <paramref name="n"/> holds the device's poll once the line has every one of the
    /// <paramref name="ended"/> ends so far and polls again: with nothing on its way, the poll stays where it is.
    /// </summary>
    private static async Task<bool> HoldsTheIdlePollAsync(ThreeInstances deployment, DeviceLine line, int ended, int n)
    {
        var deadline = DateTime.UtcNow + ThreeInstances.Prompt;
        while (line.Count < ended || await deployment.PollsHeldAsync(1) + await deployment.PollsHeldAsync(2) + await deployment.PollsHeldAsync(3) != 1)
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, $"the line did not get its {ended} ends and poll again within {ThreeInstances.Prompt.TotalSeconds} s");
            await Task.Delay(20);
        }

        return await deployment.PollsHeldAsync(n) == 1;
    }

    /// <summary>
    /// Ends <paramref name="sessionId"/> at instance <paramref name="at"/>; when that instance is lost
    /// meanwhile, at instance 1, where a session already ended counts (its end was committed before
    /// the loss). Returns when the end was acknowledged.
    /// </summary>
    private static async Task<DateTime> TerminateAsync(ThreeInstances deployment, int at, string sessionId)
    {
        try
        {
            await deployment.Admin(at).TerminateSessionAsync(sessionId);
        }
        catch (Exception lost) when (at != 1 && lost is HttpRequestException or TaskCanceledException)
        {
            try
            {
                await deployment.Admin(1).TerminateSessionAsync(sessionId);
            }
            catch (AdminApiException ended) when (ended.Code == ErrorCodes.SessionEnded)
            {
            }
        }

        return DateTime.UtcNow;
    }

    /// <summary>
    /// A session between the two devices made at instance <paramref name="at"/> alone: the callee polls
    /// there from <paramref name="cursor"/>, the caller asks there, the callee replies there. Returns the
    /// session and the callee's cursor past its query and offer.
    /// </summary>
    private static async Task<(string SessionId, long Cursor)> SessionAtOneInstanceAsync(ThreeInstances deployment, int at, Device callee, Device caller, long cursor, CancellationToken cancellationToken)
    {
        var http = deployment.Client(at);
        var held = await deployment.PollsHeldAsync(at);
        var polling = ThreeInstances.PollAsync(http, callee.Token, cursor, cancellationToken);
        await deployment.UntilHoldingAsync(at, held);
        var connecting = TestDevice.RequestConnectionAsync(http, caller.Token, callee.TerminalId, cancellationToken: cancellationToken);

        using var polled = await WithinPromptAsync(polling, "the status query reaches the callee");
        var batch = (await TestDevice.ReadAsync<TriggerBatch>(polled)).Triggers;
        var query = batch.Single(trigger => trigger.Kind == TriggerKinds.StatusQuery);
        using var replied = await TestDevice.ReplyToTriggerAsync(http, callee.Token, TestDevice.Reply(query.Seq), cancellationToken);
        var offer = (await TestDevice.ReadAsync<TriggerReplyAnswer>(replied)).Offer;
        using var granted = await WithinPromptAsync(connecting, "the caller is granted");
        var grant = await TestDevice.ReadAsync<ConnectionGrant>(granted);
        Assert.AreEqual(grant.SessionId, offer.SessionId);
        return (grant.SessionId, Math.Max(batch[^1].Seq, offer.Seq));
    }

    /// <summary>
    /// A connection query at <paramref name="http"/>, asked again while that instance has not yet heard
    /// that the callee polls elsewhere (a device would ask again), within <see cref="ThreeInstances.Prompt"/>.
    /// </summary>
    private static async Task<HttpResponseMessage> ConnectAsync(HttpClient http, Device caller, Device callee)
    {
        var deadline = DateTime.UtcNow + ThreeInstances.Prompt;
        while (true)
        {
            var response = await TestDevice.RequestConnectionAsync(http, caller.Token, callee.TerminalId);
            if (DateTime.UtcNow > deadline || await CodeAsync(response) != ErrorCodes.CalleeNotConnected)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(50);
        }
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return null;
        }

        await response.Content.LoadIntoBufferAsync();
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    private static async Task<T> WithinPromptAsync<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(ThreeInstances.Prompt);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"not within {ThreeInstances.Prompt.TotalSeconds} s: {what}");
            throw;
        }
    }
}
