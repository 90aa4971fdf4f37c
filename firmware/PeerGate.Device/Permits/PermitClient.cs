using System;
using PeerGate.Device.Api;
using PeerGate.Device.Platform;
using PeerGate.Device.Registry;
using PeerGate.Protocol;

namespace PeerGate.Device.Permits
{
    /// <summary>
    /// The device's own permit table (F14) and connection policy (F16) on its registry server. Refusals
    /// (permit_invalid with the failing operation in the detail, certificate_*) surface as
    /// <see cref="ApiException"/> and change nothing on the server.
    /// </summary>
    public class PermitClient
    {
        private readonly ApiClient _api;
        private readonly ICertificateHolder _holder;
        private readonly IDeviceLog _log;

        public PermitClient(ApiClient api, ICertificateHolder holder, IDeviceLog log)
        {
            _api = api ?? throw new ArgumentNullException(nameof(api));
            _holder = holder ?? throw new ArgumentNullException(nameof(holder));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Applies the operations in order, all or nothing; returns the table afterwards.</summary>
        public PermitResult Apply(PermitRequest request)
        {
            if (request == null || request.Operations == null || request.Operations.Length == 0)
            {
                throw new ArgumentException("a permit request needs at least one operation");
            }

            // An entry the server would refuse (a malformed name) is never sent.
            for (int i = 0; i < request.Operations.Length; i++)
            {
                PermitEntry[] entries = request.Operations[i] == null ? null : request.Operations[i].Entries;
                for (int j = 0; entries != null && j < entries.Length; j++)
                {
                    string problem = PermitEntries.Check(entries[j]);
                    if (problem != null)
                    {
                        throw new ArgumentException("operation " + i.ToString() + ", entry " + j.ToString() + ": " + problem);
                    }
                }
            }

            CertificateResponse certificate = Current();
            try
            {
                PermitResult result = (PermitResult)_api.Post(certificate.RegistryUrl, Routes.Permits, request, typeof(PermitResult), certificate.Certificate);
                _log.Event("permit.applied", request.Operations.Length.ToString() + " operation(s), " + Count(result.Entries).ToString() + " entries now");
                return result;
            }
            catch (ApiException e)
            {
                _log.Event("permit.refused", e.Code);
                throw;
            }
        }

        /// <summary>The table and policy as the server has them.</summary>
        public PermitTable Read()
        {
            CertificateResponse certificate = Current();
            return (PermitTable)_api.Get(certificate.RegistryUrl, Routes.Permits, typeof(PermitTable), certificate.Certificate);
        }

        /// <summary>Answer every caller that is not permitted with one uniform denial (or stop doing so); the device-held setting stays.</summary>
        public void SetUniformDenial(bool on)
        {
            PermitTable table = Read();
            SetPolicy(on, table.DeviceHeld);
            _log.Event("permit.policy", on ? "uniform denial on" : "uniform denial off");
        }

        /// <summary>
        /// Keep the permit list on the device (F15): the server asks it at each connection. The uniform
        /// denial setting stays.
        /// </summary>
        public void SetDeviceHeld(bool on)
        {
            PermitTable table = Read();
            SetPolicy(table.UniformDenial, on);
            _log.Event("permit.policy", on ? "device-held permits on" : "device-held permits off");
        }

        /// <summary>One operation: <paramref name="op"/> (a PermitOps value) with the entries.</summary>
        public static PermitOperation Operation(string op, PermitEntry[] entries)
        {
            if (op != PermitOps.Create && op != PermitOps.Add && op != PermitOps.Delete)
            {
                throw new ArgumentException("unknown permit operation '" + op + "' (create, add or delete)");
            }

            PermitOperation operation = new PermitOperation();
            operation.Op = op;
            operation.Entries = entries ?? new PermitEntry[0];
            return operation;
        }

        private void SetPolicy(bool uniformDenial, bool deviceHeld)
        {
            CertificateResponse certificate = Current();
            ConnectionPolicy policy = new ConnectionPolicy();
            policy.UniformDenial = uniformDenial;
            policy.DeviceHeld = deviceHeld;
            _api.Put(certificate.RegistryUrl, Routes.PermitPolicy, policy, certificate.Certificate);
        }

        private CertificateResponse Current()
        {
            CertificateResponse certificate = _holder.Certificate;
            if (certificate == null)
            {
                throw new InvalidOperationException("not authenticated yet");
            }

            return certificate;
        }

        private static int Count(PermitEntry[] entries)
        {
            return entries == null ? 0 : entries.Length;
        }
    }
}
