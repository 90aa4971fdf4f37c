namespace PeerGate.NanoGuard.Rules;

/// <summary>
/// Ids of the rules for what compiles against the board's API but is unsafe or missing at run time
/// on nanoFramework 1.x. Compiler errors keep their own CS ids.
/// </summary>
public static class RuleIds
{
    public const string GenericDeclaration = "NG1001";
    public const string GenericUse = "NG1002";
    public const string Iterator = "NG1003";
    public const string Async = "NG1004";
    public const string Volatile = "NG1005";
    public const string MultidimensionalArray = "NG1006";
    public const string Decimal = "NG1007";
    public const string Dynamic = "NG1008";
    public const string Tuple = "NG1009";
    public const string Record = "NG1010";
    public const string Stackalloc = "NG1011";
    public const string RangeOrIndex = "NG1012";
    public const string NullableValueType = "NG1013";
    public const string DefaultInterfaceMember = "NG1014";
    public const string LinqQuery = "NG1015";
    public const string EnumToString = "NG1016";
    public const string EnumReflection = "NG1017";
    public const string ConditionalCall = "NG1018";
    public const string StringArraySlots = "NG1019";
}
