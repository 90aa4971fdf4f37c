using System;
using System.Threading;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Device.Rendezvous;
using PeerGate.Device.Timing;
using PeerGate.Protocol;

namespace PeerGate.Device.Triggers
{
    /// <summary>
    /// The device's end of the trigger channel (F21): one long-poll at a time on its own thread. Each
    /// trigger is handled, then its sequence number is written to flash, and the next poll's "after"
    /// acknowledges it; the server's queue stays the truth, so nothing is lost while the device is away
    /// and nothing is handled twice after a restart.
    /// </summary>
    /// <remarks>
    /// A failed poll waits a jittered, growing delay up to <see cref="BackoffCeilingMillis"/>. A refused
    /// certificate asks the <see cref="ICertificateHolder"/> for a new one. poller_superseded (another
    /// poller for this device took over) ends the loop for good.
    /// <para>A verified UDP wake (<see cref="Wake"/>) newer than the cursor makes the next request a
    /// short fetch (wait=1) and cuts any backoff short. It goes through the same loop and client as the
    /// long-poll, so there is never a second poll of this terminal (which the server would answer by
    /// superseding one) nor a second TLS session on a board with one HTTP lane. A poll already in flight
    /// is answered by the server's own wake-up; the fetch then finds the cursor caught up and is skipped.</para>
    /// <para>While the <see cref="UdpChannel"/> works (its registrations are acknowledged) the loop holds
    /// no long-poll at all: it fetches on a verified wake and, as the safety net for a wake lost with all
    /// its retries, every <see cref="SafetyFetchMillis"/>. When UDP stops working it polls again within
    /// <see cref="IdleSliceMillis"/>.</para>
    /// </remarks>
    public class TriggerPoller : IWakeTarget
    {
        public const int InitialBackoffMillis = 1000;
        public const int BackoffCeilingMillis = 60000;

        /// <summary>How long to wait for a (new) certificate before looking again.</summary>
        public const int CertificateWaitMillis = 1000;

        /// <summary>
        /// How much sooner than the poll's HTTP timeout the server is asked to answer it ("wait"), so an
        /// empty answer arrives before the client gives up, however short the platform keeps its polls
        /// (a board with one HTTP lane keeps them short, see <see cref="HttpLane"/>).
        /// </summary>
        public const int PollAnswerMarginMillis = 5000;

        /// <summary>The server's wait asked by a fetch after a UDP wake: the trigger is already queued.</summary>
        public const int FetchWaitSeconds = 1;

        /// <summary>On the UDP channel, the longest time between two fetches when no wake comes (the bound on a lost wake).</summary>
        public const int SafetyFetchMillis = 300000;

        /// <summary>On the UDP channel, how often the loop looks whether UDP still works.</summary>
        public const int IdleSliceMillis = 1000;

        /// <summary>How long <see cref="Stop"/> waits for the thread; a poll in flight ends by its own timeout.</summary>
        public const int StopJoinMillis = 5000;

        private readonly ApiClient _api;
        private readonly ICertificateHolder _holder;
        private readonly ITriggerHandler _handler;
        private readonly TriggerCursor _cursor;
        private readonly IClock _clock;
        private readonly IDeviceLog _log;
        private readonly Backoff _backoff;
        private readonly ManualResetEvent _stop = new ManualResetEvent(false);
        private readonly object _gate = new object();
        private readonly string _pollPathPrefix;
        private readonly string _fetchPathPrefix;
        private readonly AutoResetEvent _fetchNow = new AutoResetEvent(false);
        private long _wakeSeq;
        private bool _requested;
        private long _lastRequestMillis;
        private bool _onUdp;

        private CertificateResponse _refused;
        private Thread _thread;

        /// <param name="api">A client whose timeout is the poll's HTTP timeout; the server is asked to answer <see cref="PollAnswerMarginMillis"/> sooner.</param>
        public TriggerPoller(ApiClient api, ICertificateHolder holder, ITriggerHandler handler, ISettingsStore settings, IClock clock, IRandomSource random, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _holder = holder ?? throw new ArgumentNullException(nameof(holder));
            _handler = handler ?? throw new ArgumentNullException(nameof(handler));
            _clock = clock ?? throw new ArgumentNullException(nameof(clock));
            _log = log ?? throw new ArgumentNullException(nameof(log));
            _cursor = new TriggerCursor(settings, log);
            _backoff = new Backoff(random, InitialBackoffMillis, BackoffCeilingMillis);

            int waitSeconds = (api.TimeoutMillis - PollAnswerMarginMillis) / 1000;
            _pollPathPrefix = Routes.Triggers + "?wait=" + (waitSeconds < 1 ? 1 : waitSeconds).ToString() + "&after=";
            _fetchPathPrefix = Routes.Triggers + "?wait=" + FetchWaitSeconds.ToString() + "&after=";
        }

        /// <summary>The last sequence number handled.</summary>
        public long Cursor
        {
            get { return _cursor.Seq; }
        }

        /// <summary>Short fetches made after a UDP wake or as the UDP channel's safety net.</summary>
        public int Fetches { get; private set; }

        /// <summary>Long-polls started (each is a request held open by the server).</summary>
        public int LongPolls { get; private set; }

        /// <summary>
        /// The UDP registration whose acks tell whether triggers can come by wake; null (or not working):
        /// the long-poll, as always.
        /// </summary>
        public IUdpChannel UdpChannel { get; set; }

        /// <summary>"udp" while the loop relies on wakes and holds no long-poll, else "long-poll".</summary>
        public string TriggerChannel
        {
            get
            {
                IUdpChannel udp = UdpChannel;
                return udp != null && udp.Works ? TriggerChannels.Udp : TriggerChannels.LongPoll;
            }
        }

        /// <summary>True while a wake newer than the cursor waits for its fetch.</summary>
        public bool FetchDue
        {
            get
            {
                lock (_gate)
                {
                    return _wakeSeq > _cursor.Seq;
                }
            }
        }

        /// <summary>
        /// A verified UDP wake for <paramref name="seq"/>: when newer than the cursor, the loop fetches
        /// at once (short request). False, and nothing done, for a stale one.
        /// </summary>
        public bool Wake(long seq)
        {
            lock (_gate)
            {
                if (seq <= _cursor.Seq)
                {
                    return false;
                }

                if (seq > _wakeSeq)
                {
                    _wakeSeq = seq;
                }
            }

            _fetchNow.Set();
            return true;
        }

        /// <summary>
        /// Session offers the handler already took from the answer to a status reply (null: none are): a
        /// poll that brings one again does not hand it on, and the cursor moves past those right after it.
        /// </summary>
        public AnsweredOffers AnsweredOffers { get; set; }

        /// <summary>Set once another poller for this device took over; the loop has ended.</summary>
        public bool Superseded { get; private set; }

        /// <summary>Why the last poll failed (an ErrorCodes or FailureCodes value); null after a success.</summary>
        public string LastErrorCode { get; private set; }

        /// <summary>Polls that got an answer.</summary>
        public int Polls { get; private set; }

        public bool IsRunning
        {
            get
            {
                Thread thread = _thread;
                return thread != null && thread.IsAlive;
            }
        }

        /// <summary>Starts the loop on its own thread; does nothing when it already runs or was superseded.</summary>
        public void Start()
        {
            lock (_gate)
            {
                if (IsRunning || Superseded)
                {
                    return;
                }

                _stop.Reset();
                _thread = new Thread(RunUntilStopped);
                _thread.Start();
            }
        }

        /// <summary>Ends the loop and waits a bounded time for the thread.</summary>
        public void Stop()
        {
            Thread thread;
            lock (_gate)
            {
                _stop.Set();
                _fetchNow.Set();
                thread = _thread;
                _thread = null;
            }

            if (thread != null && !thread.Join(StopJoinMillis))
            {
                _log.Event("trigger.stop-slow", "a poll is still in flight; it ends by its own timeout");
            }
        }

        /// <summary>Polls until <paramref name="stop"/> is set or the poller is superseded.</summary>
        public void Run(WaitHandle stop)
        {
            if (stop == null)
            {
                throw new ArgumentNullException(nameof(stop));
            }

            _log.Event("trigger.start", UdpChannel == null ? "long-poll channel" : "long-poll, or UDP wakes while UDP registration is acknowledged");
            while (!_clock.Sleep(0, stop))
            {
                int waitMillis = Next();
                if (Superseded)
                {
                    break;
                }

                if (waitMillis > 0 && WaitOrWake(waitMillis, stop))
                {
                    break;
                }
            }

            _log.Event("trigger.stop", Superseded ? "superseded" : "stopped");
        }

        /// <summary>The loop's next request: a short fetch when a wake is due, else a long-poll; returns how long to wait after it.</summary>
        public int Next()
        {
            if (FetchDue)
            {
                return FetchOnce();
            }

            IUdpChannel udp = UdpChannel;
            bool onUdp = udp != null && udp.Works;
            if (onUdp != _onUdp)
            {
                _onUdp = onUdp;
                _log.Event("trigger.channel", onUdp
                    ? "udp: no long-poll; fetching on a wake and every " + (SafetyFetchMillis / 1000).ToString() + " s"
                    : "long-poll");
            }

            if (!onUdp)
            {
                return PollOnce();
            }

            long since = _clock.UptimeMillis - _lastRequestMillis;
            if (!_requested || since >= SafetyFetchMillis)
            {
                return FetchOnce();
            }

            long left = SafetyFetchMillis - since;
            return left < IdleSliceMillis ? (int)left : IdleSliceMillis;
        }

        /// <summary>One short request (wait=1), as after a UDP wake; returns how long to wait before the next.</summary>
        public int FetchOnce()
        {
            Fetches++;
            return Request(_fetchPathPrefix);
        }

        /// <summary>
        /// One long-poll and the handling of what it brought; returns how long to wait before the next
        /// (0 after a success).
        /// </summary>
        public int PollOnce()
        {
            LongPolls++;
            return Request(_pollPathPrefix);
        }

        /// <summary>
        /// Waits <paramref name="millis"/>, ending early for a wake or <see cref="Stop"/> (both set the
        /// wake event; another <paramref name="stop"/> handle is seen when the wait ends); true when stopped.
        /// </summary>
        private bool WaitOrWake(int millis, WaitHandle stop)
        {
            // A wake left over from before is moot: the request just made already read the queue.
            _fetchNow.Reset();
            if (FetchDue)
            {
                return false;
            }

            bool interrupted = _clock.Sleep(millis, _fetchNow);
            if (FetchDue)
            {
                return false;
            }

            return interrupted || stop.WaitOne(0, false);
        }

        private int Request(string pathPrefix)
        {
            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null || certificate == _refused)
            {
                return CertificateWaitMillis;
            }

            _cursor.Select(certificate.TerminalId, certificate.RegistryUrl);
            _requested = true;
            _lastRequestMillis = _clock.UptimeMillis;
            long wakeSeq;
            lock (_gate)
            {
                wakeSeq = _wakeSeq;
            }

            TriggerBatch batch;
            try
            {
                batch = (TriggerBatch)_api.Get(certificate.RegistryUrl, pathPrefix + _cursor.Seq.ToString(), typeof(TriggerBatch), certificate.Certificate);
            }
            catch (ApiException e)
            {
                return Failed(e, certificate);
            }

            LastErrorCode = null;
            Polls++;
            _backoff.Reset();
            Handle(batch.Triggers);
            lock (_gate)
            {
                // This answer was the fetch those wakes asked for (what it lacked has expired or
                // was replaced); a wake that came in meanwhile still gets its own.
                if (_wakeSeq == wakeSeq)
                {
                    _wakeSeq = 0;
                }
            }

            return 0;
        }

        private void Handle(Trigger[] triggers)
        {
            if (triggers == null)
            {
                return;
            }

            AnsweredOffers answered = AnsweredOffers;
            for (int i = 0; i < triggers.Length; i++)
            {
                Trigger trigger = triggers[i];

                // The server sends what follows the cursor; anything else was handled already.
                if (trigger == null || trigger.Seq <= _cursor.Seq)
                {
                    continue;
                }

                if (answered != null && trigger.Kind == TriggerKinds.SessionOffer && answered.Contains(trigger.Seq))
                {
                    // Taken from the answer to the status reply already.
                    _cursor.Advance(trigger.Seq);
                    continue;
                }

                try
                {
                    _handler.Handle(trigger);
                }
                catch (Exception e)
                {
                    // A handler bug must not stall the channel: the trigger counts as handled.
                    _log.Event("trigger.handler-failed", "seq " + trigger.Seq.ToString() + ": " + e.Message);
                }

                _cursor.Advance(trigger.Seq);
            }

            if (answered != null)
            {
                // Offers taken from reply answers right after the cursor: the next poll acknowledges them.
                long past = answered.Advance(_cursor.Seq);
                if (past > _cursor.Seq)
                {
                    _cursor.Advance(past);
                }
            }
        }

        private int Failed(ApiException e, CertificateResponse certificate)
        {
            LastErrorCode = e.Code;
            if (e.IsRefusal && e.Code == ErrorCodes.PollerSuperseded)
            {
                Superseded = true;
                _log.Event("trigger.superseded", "another poller for this device took over; this one stops");
                return 0;
            }

            if (e.IsRefusal && e.Code == ErrorCodes.CursorAhead)
            {
                // The server's queue was reset and numbers its triggers from 1 again: keeping the old
                // cursor would skip every new trigger.
                _cursor.Advance(0);
                lock (_gate)
                {
                    _wakeSeq = 0;
                }

                _log.Event("trigger.cursor-reset", "the server issued nothing past the cursor; starting again from 0");
                return 0;
            }

            if (Registrar.NeedsNewCertificate(e))
            {
                _refused = certificate;
                _log.Event("trigger.certificate-refused", e.Code + "; asking for a new certificate");
                _holder.CertificateRefused(certificate);
            }

            int delay = _backoff.NextDelayMillis();
            _log.Event("trigger.poll-failed", e.Code + ", retry in " + delay.ToString() + " ms");
            return delay;
        }

        private void RunUntilStopped()
        {
            try
            {
                Run(_stop);
            }
            catch (Exception e)
            {
                // Out of memory and the like; the agent starts the poller again on its next pass.
                _log.Event("trigger.crashed", e.Message);
            }
        }
    }
}
