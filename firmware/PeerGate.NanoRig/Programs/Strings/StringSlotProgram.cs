using System;
using PeerGate.Protocol;

namespace PeerGate.NanoRig.Strings
{
    /// <summary>
    /// How nanoCLR treats null strings and the empty slots of a new string[]: every line is "name value", read by
    /// StringSlotTests. Nothing here may end the interpreter; the comparisons that do run one by one in their own
    /// programs (StringSlotTests writes them).
    /// </summary>
    public static class StringSlotProgram
    {
        public static void Main()
        {
            string[] fresh = new string[2];
            string[] assigned = new string[2];
            assigned[0] = null;
            string[] created = StringArrays.Create(2);
            string real = RealNull();
            string x = "S-x";
            string y = new string('S', 1) + "-x";

            Print("fresh-slot-is-null", fresh[0] == null);
            Print("fresh-slot-is-null-or-empty", string.IsNullOrEmpty(fresh[0]));
            Print("fresh-slot-instance-equals", x.Equals(fresh[0]));
            Print("assigned-slot-is-null", assigned[0] == null);
            Print("assigned-slot-equals", assigned[0] == x);
            Print("created-slot-is-null", created[0] == null);
            Print("created-slot-equals", created[0] == x || x == created[1] || created[0] != x == false);
            Print("created-slot-static-equals", string.Equals(created[0], x));
            Print("null-equals-text", real == x);
            Print("text-equals-null", x == real);
            Print("null-equals-null", real == RealNull());
            Print("static-equals-null-text", string.Equals(real, x));
            Print("static-equals-null-null", string.Equals(real, RealNull()));
            Print("equal-texts", x == y);
            Console.WriteLine("strings: done");
        }

        private static string RealNull()
        {
            return null;
        }

        private static void Print(string name, bool value)
        {
            Console.WriteLine(name + " " + (value ? "true" : "false"));
        }
    }
}
