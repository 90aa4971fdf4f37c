namespace PeerGate.Protocol
{
    /// <summary>REGISTER operations on a permit table (F14).</summary>
    public static class PermitOps
    {
        /// <summary>Replace the whole table with the entries.</summary>
        public const string Create = "create";

        public const string Add = "add";
        public const string Delete = "delete";
    }

    /// <summary>What a permit entry names.</summary>
    public static class PermitKinds
    {
        public const string Terminal = "terminal";
        public const string Group = "group";

        /// <summary>A device name (F22), e.g. "TERM1".</summary>
        public const string Name = "name";
    }

    /// <summary>One entry of a permit table: who may connect.</summary>
    public class PermitEntry
    {
        /// <summary>One of <see cref="PermitKinds"/>.</summary>
        public string Kind { get; set; }

        public string Value { get; set; }
    }

    /// <summary>One REGISTER operation.</summary>
    public class PermitOperation
    {
        /// <summary>One of <see cref="PermitOps"/>.</summary>
        public string Op { get; set; }

        public PermitEntry[] Entries { get; set; }
    }

    /// <summary>Several operations applied in order, all or nothing.</summary>
    public class PermitRequest
    {
        public PermitOperation[] Operations { get; set; }
    }

    /// <summary>
    /// "Registration complete": the table after the request. A failed request is a problem+json
    /// answer with code permit_invalid whose detail names the operation and entry, and changes nothing.
    /// </summary>
    public class PermitResult
    {
        /// <summary>"complete".</summary>
        public string Result { get; set; }

        public PermitEntry[] Entries { get; set; }
    }

    /// <summary>A terminal's own permit table and policy.</summary>
    public class PermitTable
    {
        public PermitEntry[] Entries { get; set; }
        public bool UniformDenial { get; set; }
        public bool DeviceHeld { get; set; }
    }

    /// <summary>How the server answers callers about this terminal.</summary>
    public class ConnectionPolicy
    {
        /// <summary>Every caller that is not permitted gets callee_not_found, as if this terminal did not exist.</summary>
        public bool UniformDenial { get; set; }

        /// <summary>The device keeps its permit list itself; the server asks it at each connection (F15).</summary>
        public bool DeviceHeld { get; set; }
    }
}
