using System;
using PeerGate.Device.Api;
using PeerGate.Device.Connections;
using PeerGate.Device.Permits;
using PeerGate.Protocol;

namespace PeerGate.NanoRig.Flows
{
    /// <summary>Permits and the connection client, as PermitClientTests and ConnectionClientTests drive them on .NET.</summary>
    public static class ServiceFlows
    {
        public static void Register(Runner runner)
        {
            runner.Add("permits applied and read", PermitsAreAppliedAndRead);
            runner.Add("a malformed device name in a permit is never sent", MalformedPermitIsNotSent);
            runner.Add("a connection is granted", ConnectionIsGranted);
            runner.Add("a busy callee is a denial with its retry", BusyCalleeIsDenied);
        }

        private static FixedHolder Holder(World world)
        {
            FixedHolder holder = new FixedHolder();
            holder.Certificate = world.Certificate(world.Clock.UtcNowSeconds + 3600);
            return holder;
        }

        private static void PermitsAreAppliedAndRead()
        {
            World world = new World();
            PermitClient client = new PermitClient(world.Api(), Holder(world), world.Log);
            PermitEntry entry = new PermitEntry();
            entry.Kind = PermitKinds.Terminal;
            entry.Value = "T-0002";
            PermitResult result = new PermitResult();
            result.Result = "ok";
            result.Entries = new PermitEntry[] { entry };
            HttpStep apply = world.Http.Expect("POST", World.RegistryUrl + Routes.Permits, 200, World.Json.Serialize(result));
            PermitTable table = new PermitTable();
            table.Entries = new PermitEntry[] { entry };
            table.UniformDenial = true;
            world.Http.Expect("GET", World.RegistryUrl + Routes.Permits, 200, World.Json.Serialize(table));

            PermitRequest request = new PermitRequest();
            request.Operations = new PermitOperation[] { PermitClient.Operation(PermitOps.Add, new PermitEntry[] { entry }) };
            PermitResult applied = client.Apply(request);
            PermitTable read = client.Read();

            world.Http.Verify();
            Check.Equal(World.Token, apply.SentBearer, "bearer");
            PermitRequest sent = (PermitRequest)World.Json.Deserialize(apply.SentBody, typeof(PermitRequest));
            Check.Equal(PermitOps.Add, sent.Operations[0].Op, "op");
            Check.Equal("T-0002", sent.Operations[0].Entries[0].Value, "entry");
            Check.Equal(1, applied.Entries.Length, "entries now");
            Check.True(read.UniformDenial, "uniform denial read");
            Check.Equal(PermitKinds.Terminal, read.Entries[0].Kind, "kind read");
        }

        private static void MalformedPermitIsNotSent()
        {
            World world = new World();
            PermitClient client = new PermitClient(world.Api(), Holder(world), world.Log);
            PermitEntry entry = new PermitEntry();
            entry.Kind = PermitKinds.Name;
            entry.Value = "not a name!";
            PermitRequest request = new PermitRequest();
            request.Operations = new PermitOperation[] { PermitClient.Operation(PermitOps.Add, new PermitEntry[] { entry }) };
            bool refused = false;
            try
            {
                client.Apply(request);
            }
            catch (ArgumentException)
            {
                refused = true;
            }

            Check.True(refused, "refused on the device");
            Check.Equal(0, world.Http.Sent, "nothing sent");
        }

        private static void ConnectionIsGranted()
        {
            World world = new World();
            ConnectionClient client = new ConnectionClient(world.Api(), Holder(world), world.Log);
            ConnectionGrant grant = PeerFlows.Grant(world, "S-GRANT-1", 0, 0);
            HttpStep step = world.Http.Expect("POST", World.RegistryUrl + Routes.Connections, 200, World.Json.Serialize(grant));

            ConnectionGrant got = client.Request("T-0002", 7000);

            world.Http.Verify();
            ConnectionRequest sent = (ConnectionRequest)World.Json.Deserialize(step.SentBody, typeof(ConnectionRequest));
            Check.Equal("T-0002", sent.CalleeTerminalId, "callee");
            Check.Equal(7000, sent.CallerPort, "caller port");
            Check.Equal("S-GRANT-1", got.SessionId, "session");
            Check.Equal(grant.Password, got.Password, "password");
            Check.Equal("10.0.0.2:7001", ConnectionClient.AddressOf(got), "address");
        }

        private static void BusyCalleeIsDenied()
        {
            World world = new World();
            ConnectionClient client = new ConnectionClient(world.Api(), Holder(world), world.Log);
            world.Http.Expect("POST", World.RegistryUrl + Routes.Connections, 409,
                "{\"type\":\"about:blank\",\"title\":\"busy\",\"status\":409,\"code\":\"" + ErrorCodes.CalleeBusy + "\",\"reason\":\"in_session\",\"retryAfter\":30}");
            ApiException denial = null;
            try
            {
                client.Request("T-0002", 7000);
            }
            catch (ApiException e)
            {
                denial = e;
            }

            world.Http.Verify();
            Check.True(denial != null, "denied");
            Check.Equal(ErrorCodes.CalleeBusy, denial.Code, "code");
            Check.True(ConnectionClient.IsDenial(denial.Code), "a denial");
            Check.Equal(30, denial.RetryAfterSeconds, "retry after");
            Check.Equal(BusyReasons.InSession, denial.Reason, "reason");
        }
    }
}
